import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import type { IvrSessionInput, IvrSessionView, IvrTurn } from '@ruleflow/contract';
import {
  IVR_INVALID_DIGIT,
  IVR_SESSION_ENDED,
  IVR_SESSION_WORKFLOW,
  ivrBackUpdate,
  ivrHangUpUpdate,
  ivrInputUpdate,
  ivrSessionQuery,
  ivrSessionSearchAttributes,
  ivrSessionWorkflowId,
  ivrTimeoutUpdate,
} from '@ruleflow/contract';
import type { IvrSessionFilters, IvrSessionRecord } from '@ruleflow/entities';
import {
  inTenantScope,
  IvrMenuRepository,
  IvrMenuTreeTooLargeError,
  IvrSessionRepository,
  toIvrSessionView,
} from '@ruleflow/entities';
import { startIvrSession } from '@ruleflow/rules';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import { DataSource } from 'typeorm';
import type { Page, PageQueryDto } from '../../common/pagination';
import { fetchPage } from '../../common/pagination';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from '../../common/tokens';
import { isUuid } from '../../common/uuid';
import { temporalUnavailable } from '../../temporal/temporal-unavailable';
import { IVR_SESSION_LIMITS } from './dto/ivr-session.dto';

export interface StartIvrSession {
  menuId: string;
  callId: string;
  caller?: string | null;
  /** A rule run (workflow id) to signal with `ivrCallEndedSignal` when the session ends. */
  notifyWorkflowId?: string | null;
  /**
   * The provider times the caller out itself and calls `timeout()` (Twilio's Gather): the workflow's
   * timer is then only a backstop, so one silence never counts as two retries.
   */
  providerTimeouts?: boolean;
}

export interface StartedIvrSession {
  sessionId: string;
  workflowId: string;
  turn: IvrTurn;
}

/** A session as `GET /v1/ivr/sessions/:id` shows it, plus the caller. */
export type IvrSessionResponse = IvrSessionView & { caller: string | null };

const ENDED = 'the IVR session has ended';

/**
 * How long a caller's request waits for Temporal (start, or the workflow taking an Update) before a 503.
 * A caller on the line is waiting too; an Update that lands later still counts once, in order.
 */
const TEMPORAL_DEADLINE_MS = 15_000;
/** A read does not wait long for the live state: the row answers instead. */
const QUERY_DEADLINE_MS = 5_000;

/**
 * IVR call sessions: each is the workflow `ivr-<sessionId>` (IvrSessionWorkflow) over a snapshot of its
 * menu tree; its row in `ivr_sessions` is inserted here first (so a second start for the same call is a
 * 409 before any workflow exists) and mirrored by the workflow after every change. Caller input goes to
 * the workflow as Updates: the answer comes after the workflow took it. An ended session → 409.
 * Every method names the tenant and runs in its database scope (the telephony webhooks call them too).
 */
@Injectable()
export class IvrSessionsService {
  private readonly logger = new Logger(IvrSessionsService.name);
  private readonly sessions: IvrSessionRepository;
  private readonly menus: IvrMenuRepository;

  constructor(
    db: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {
    this.sessions = new IvrSessionRepository(db);
    this.menus = new IvrMenuRepository(db);
  }

  start(tenantId: string, request: StartIvrSession): Promise<StartedIvrSession> {
    // The HTTP body is checked by its DTO; the telephony webhooks call this too, so the bounds hold here as well.
    const { callIdMaxLength, callerMaxLength } = IVR_SESSION_LIMITS;
    if (typeof request.callId !== 'string' || request.callId === '' || request.callId.length > callIdMaxLength) {
      throw new BadRequestException(`callId must be a non-empty string of at most ${callIdMaxLength} characters`);
    }
    if (request.caller != null && (typeof request.caller !== 'string' || request.caller.length > callerMaxLength)) {
      throw new BadRequestException(`caller must be a string of at most ${callerMaxLength} characters`);
    }
    return inTenantScope(tenantId, async () => {
      let tree;
      try {
        tree = await this.menus.loadTree(tenantId, request.menuId);
      } catch (err) {
        if (err instanceof IvrMenuTreeTooLargeError) throw new BadRequestException(`menuId: ${err.message}`);
        throw err;
      }
      if (!tree) throw new BadRequestException('menuId: no such menu');
      const sessionId = randomUUID();
      const workflowId = ivrSessionWorkflowId(sessionId);
      const caller = request.caller ?? null;
      const created = await this.sessions.create({
        id: sessionId,
        tenantId,
        callId: request.callId,
        caller,
        menuId: tree.rootMenuId,
        workflowId,
      });
      if (created === 'duplicate') throw new ConflictException('callId: this call already has a session');
      const root = tree.menus[tree.rootMenuId];
      try {
        await this.client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
          this.client.workflow.start(IVR_SESSION_WORKFLOW, {
            workflowId,
            taskQueue: this.config.temporal.taskQueue,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            typedSearchAttributes: ivrSessionSearchAttributes(tenantId, request.callId),
            staticSummary: `Call from **${caller ?? 'unknown caller'}** on menu **${root?.name ?? tree.rootMenuId}**`,
            args: [
              {
                sessionId,
                tenantId,
                callId: request.callId,
                caller,
                tree,
                notifyWorkflowId: request.notifyWorkflowId ?? null,
                ...(request.providerTimeouts ? { providerTimeouts: true } : {}),
              } satisfies IvrSessionInput,
            ],
          }),
        );
      } catch (err) {
        // Nothing half-made stays behind: the call can be started again.
        await this.sessions.discard(tenantId, sessionId);
        throw temporalUnavailable(this.logger, 'could not start the IVR session workflow', err);
      }
      // The workflow starts from the same pure machine over the same tree: its first turn is this one.
      return { sessionId, workflowId, turn: startIvrSession(tree).turn };
    });
  }

  input(tenantId: string, sessionId: string, digit: string): Promise<IvrTurn> {
    if (typeof digit !== 'string' || !/^[0-9*#]$/.test(digit)) {
      throw new BadRequestException('digit must be one of 0-9, * or #');
    }
    return this.update(tenantId, sessionId, (h) => h.executeUpdate(ivrInputUpdate, { args: [{ digit }] }));
  }

  back(tenantId: string, sessionId: string): Promise<IvrTurn> {
    return this.update(tenantId, sessionId, (h) => h.executeUpdate(ivrBackUpdate));
  }

  /** The caller's time ran out as the provider saw it (its own gather timer). */
  timeout(tenantId: string, sessionId: string): Promise<IvrTurn> {
    return this.update(tenantId, sessionId, (h) => h.executeUpdate(ivrTimeoutUpdate));
  }

  hangUp(tenantId: string, sessionId: string): Promise<IvrTurn> {
    return this.update(tenantId, sessionId, (h) => h.executeUpdate(ivrHangUpUpdate));
  }

  findByCallId(tenantId: string, callId: string): Promise<{ sessionId: string } | null> {
    return inTenantScope(tenantId, async () => {
      const record = await this.sessions.findByCallId(tenantId, callId);
      return record ? { sessionId: record.sessionId } : null;
    });
  }

  /**
   * The live state from the workflow while it runs, else the row. When the query cannot be answered
   * (the run just ended, Temporal is away) the row is the answer: the workflow mirrors every change
   * before it answers the change's Update, so the row is never behind an answer a caller has had.
   */
  get(tenantId: string, sessionId: string): Promise<IvrSessionResponse> {
    return inTenantScope(tenantId, async () => {
      const record = await this.record(tenantId, sessionId);
      if (record.state !== 'ended') {
        try {
          const view = await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
            this.client.workflow.getHandle(record.workflowId).query(ivrSessionQuery),
          );
          return { ...view, caller: record.caller };
        } catch (err) {
          this.logger.debug(`IVR session ${sessionId} answered from its row: ${(err as Error).message}`);
          return toIvrSessionView((await this.sessions.get(tenantId, sessionId)) ?? record);
        }
      }
      return toIvrSessionView(record);
    });
  }

  list(tenantId: string, filters: IvrSessionFilters, page: PageQueryDto): Promise<Page<IvrSessionResponse>> {
    return inTenantScope(tenantId, () =>
      fetchPage(page, (skip, take) => this.sessions.list(tenantId, filters, skip, take), toIvrSessionView),
    );
  }

  private async record(tenantId: string, sessionId: string): Promise<IvrSessionRecord> {
    const record = isUuid(sessionId) ? await this.sessions.get(tenantId, sessionId) : null;
    if (!record) throw new NotFoundException('IVR session not found');
    return record;
  }

  private update(
    tenantId: string,
    sessionId: string,
    send: (handle: WorkflowHandle) => Promise<IvrTurn>,
  ): Promise<IvrTurn> {
    return inTenantScope(tenantId, async () => {
      const record = await this.record(tenantId, sessionId);
      if (record.state === 'ended') throw new ConflictException(ENDED);
      try {
        return await this.client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
          send(this.client.workflow.getHandle(record.workflowId)),
        );
      } catch (err) {
        const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
        if (cause instanceof ApplicationFailure) {
          if (cause.type === IVR_SESSION_ENDED) throw new ConflictException(ENDED);
          if (cause.type === IVR_INVALID_DIGIT) throw new BadRequestException('digit must be one of 0-9, * or #');
        }
        // The run ended between our read and the update (it completes right after its last turn).
        if (err instanceof WorkflowNotFoundError) throw new ConflictException(ENDED);
        throw temporalUnavailable(this.logger, 'the IVR session workflow did not take the update', err);
      }
    });
  }
}
