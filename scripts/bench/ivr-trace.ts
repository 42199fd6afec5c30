/**
 * `npm run bench -- ivr --trace`: where each press's time goes. For every press the callers note when
 * they sent it and when the answer came (Date.now); the gateway's session read and the worker's mirror
 * write are timed in this process (the benchmark runs both); the session workflows' histories give the
 * server's side: when the press's workflow task was scheduled (the Update reached the server), when
 * the worker picked it up, and when it completed it (the Update's answer). Stages of one press:
 *
 *   gateway in   send → session row read (HTTP, auth)         read     the session row read
 *   to server    read done → workflow task scheduled          queued   scheduled → started (worker)
 *   task         started → completed (activations + mirror)  mirror   the mirror write inside the task
 *   answer       task completed → response at the caller
 */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { IvrSessionRepository } from '@ruleflow/entities';
import { quantile } from './bench-http';

const EventType = temporal.api.enums.v1.EventType;

export interface PressRecord {
  workflowId: string;
  /** The press's number in its call (0-based). */
  n: number;
  sentAt: number;
  answeredAt: number;
}

interface Span {
  start: number;
  end: number;
}

/** Times the gateway's session reads and the worker's mirror writes of this process (bench-only wrappers). */
export class IvrTracer {
  readonly presses: PressRecord[] = [];
  /** By session id: each row read of the gateway, in order. */
  private readonly reads = new Map<string, Span[]>();
  /** By `sessionId:revision`. */
  private readonly mirrors = new Map<string, Span>();
  private restore: (() => void) | null = null;

  install(): void {
    const proto = IvrSessionRepository.prototype;
    const { get, mirror } = proto;
    const reads = this.reads;
    const mirrors = this.mirrors;
    proto.get = async function (this: IvrSessionRepository, tenantId, id) {
      const start = Date.now();
      const found = await get.call(this, tenantId, id);
      const list = reads.get(id) ?? [];
      list.push({ start, end: Date.now() });
      reads.set(id, list);
      return found;
    };
    proto.mirror = async function (this: IvrSessionRepository, m) {
      const start = Date.now();
      const ok = await mirror.call(this, m);
      mirrors.set(`${m.sessionId}:${m.revision}`, { start, end: Date.now() });
      return ok;
    };
    this.restore = () => {
      proto.get = get;
      proto.mirror = mirror;
    };
  }

  uninstall(): void {
    this.restore?.();
    this.restore = null;
  }

  reset(): void {
    this.presses.length = 0;
    this.reads.clear();
    this.mirrors.clear();
  }

  /**
   * Each press's stages from the histories of its workflow (the n-th accepted Update of a run is its
   * n-th press); percentiles of each stage over all presses and over the slowest 2 %.
   */
  async report(client: Client, sessionIdOf: (workflowId: string) => string | null): Promise<string[]> {
    const byWorkflow = new Map<string, PressRecord[]>();
    for (const p of this.presses) {
      const list = byWorkflow.get(p.workflowId) ?? [];
      list.push(p);
      byWorkflow.set(p.workflowId, list);
    }
    const rows: Array<Record<string, number>> = [];
    for (const [workflowId, presses] of byWorkflow) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      const tasks: Array<{ scheduled: number; started: number; completed: number }> = [];
      let scheduled = 0;
      let started = 0;
      for (const e of events) {
        const at = tsToMs(e.eventTime);
        if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) scheduled = at;
        else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) started = at;
        else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
          tasks.push({ scheduled, started, completed: at });
        else if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED) {
          const task = tasks[tasks.length - 1];
          if (task) (task as { update?: boolean }).update = true;
        }
      }
      const updateTasks = tasks.filter((t) => (t as { update?: boolean }).update);
      const sessionId = sessionIdOf(workflowId);
      const reads = sessionId ? (this.reads.get(sessionId) ?? []) : [];
      for (const p of presses.sort((a, b) => a.n - b.n)) {
        const task = updateTasks[p.n];
        if (!task) continue;
        const read = reads.find((r) => r.start >= p.sentAt && r.end <= p.answeredAt);
        const mirror = sessionId ? this.mirrors.get(`${sessionId}:${p.n + 2}`) : undefined;
        const readEnd = read?.end ?? p.sentAt;
        rows.push({
          total: p.answeredAt - p.sentAt,
          gatewayIn: read ? read.start - p.sentAt : 0,
          read: read ? read.end - read.start : 0,
          toServer: task.scheduled - readEnd,
          queued: task.started - task.scheduled,
          task: task.completed - task.started,
          mirror: mirror ? mirror.end - mirror.start : 0,
          answer: p.answeredAt - task.completed,
        });
      }
    }
    if (rows.length === 0) return ['trace: no presses matched their histories'];
    const stages = Object.keys(rows[0]!);
    const line = (label: string, set: Array<Record<string, number>>, q: number) =>
      `${label.padEnd(22)} ${stages
        .map(
          (s) =>
            `${s} ${quantile(
              set.map((r) => r[s]!).sort((a, b) => a - b),
              q,
            )}`,
        )
        .join(', ')}`;
    const slow = [...rows].sort((a, b) => b.total! - a.total!).slice(0, Math.max(1, Math.ceil(rows.length * 0.02)));
    return [
      `trace of ${rows.length} presses (ms; server and process clocks are the same machine's):`,
      line('p50 of all', rows, 0.5),
      line('p99 of all', rows, 0.99),
      line('median of slowest 2 %', slow, 0.5),
      line('max of slowest 2 %', slow, 1),
    ];
  }
}
