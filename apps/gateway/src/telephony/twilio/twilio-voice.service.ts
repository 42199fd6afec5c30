import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import type { IvrTurn } from '@ruleflow/contract';
import { asSystem, ExecutionEntity, inTenantScope, IvrLineEntity, IvrMenuRepository } from '@ruleflow/entities';
import type { SecretBox } from '@ruleflow/rules/node/secret-box';
import { DataSource } from 'typeorm';
import { RULEFLOW_CONFIG, SECRET_BOX } from '../../common/tokens';
import { IvrSessionsService } from '../../ivr/sessions/ivr-sessions.service';
import { hashBearerToken } from '@ruleflow/rules/node/bearer-token';
import { LINE_TOKEN_SHAPE } from '@ruleflow/rules/node/line-token';
import { isValidTwilioSignature } from './twilio-signature';
import { dialTwiml, gatherTwiml, hangupTwiml } from './twiml';

/** Call statuses that mean the call is over. */
const ENDED_STATUSES: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const CALL_SID = /^CA[0-9a-fA-F]{32}$/;
const DIGITS = /^[0-9*#]$/;
/** What a caller id may be (E.164, `client:…`, `anonymous`…): stored as given, bounded. */
const MAX_CALLER = 128;
/** Rule-run workflow ids (`rule-<uuid>-<event id>`), bounded. */
const RUN_ID = /^[A-Za-z0-9._:@-]{1,300}$/;
const DEFAULT_TIMEOUT_MS = 10_000;

export interface TwilioRequest {
  token: string;
  /** The request target as received (path and query), which Twilio signed under the public URL. */
  originalUrl: string;
  signature: string | undefined;
  params: Record<string, string>;
  /** `?run=<workflowId>`: the rule run (an `ivr_call` action) to tell when the session ends. */
  run: string | undefined;
  /** `&menu=<id>`: the menu an `ivr_call` action runs instead of the line's. */
  menu?: string | undefined;
}

/**
 * Twilio's voice and status webhooks for a phone line: the token in the path names the line (found by
 * its hash across tenants), the X-Twilio-Signature under the line's auth token authenticates the
 * request, then everything runs in the line's tenant scope against the line's IVR session.
 */
@Injectable()
export class TwilioVoiceService {
  private readonly menus: IvrMenuRepository;

  constructor(
    private readonly db: DataSource,
    private readonly sessions: IvrSessionsService,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {
    this.menus = new IvrMenuRepository(db);
  }

  /** The voice webhook: the TwiML for the call's next step. */
  async voice(req: TwilioRequest): Promise<string> {
    const { line, url } = await this.authenticate(req);
    return inTenantScope(line.tenantId, async () => {
      const callId = callSidOf(req.params);
      const digits = req.params.Digits ?? '';
      if (digits !== '' && !DIGITS.test(digits)) throw new BadRequestException('Digits: must be one of 0-9, * or #');
      const caller = req.params.From;
      if (caller !== undefined && caller.length > MAX_CALLER) {
        throw new BadRequestException(`From: longer than ${MAX_CALLER} characters`);
      }
      const known = await this.sessions.findByCallId(line.tenantId, callId);
      let turn: IvrTurn;
      try {
        if (!known) {
          turn = await this.start(line, callId, caller ?? null, req.run, req.menu);
        } else if (digits !== '') {
          turn = await this.sessions.input(line.tenantId, known.sessionId, digits);
        } else {
          turn = await this.sessions.timeout(line.tenantId, known.sessionId);
        }
      } catch (err) {
        // The session has ended (a late retry, or the caller pressed on after the outcome): nothing more to say.
        if (err instanceof ConflictException) return hangupTwiml();
        throw err;
      }
      return this.twiml(line, turn, url);
    });
  }

  /** The status callback: a call that is over ends its live session with a hangup. */
  async status(req: TwilioRequest): Promise<void> {
    const { line } = await this.authenticate(req);
    await inTenantScope(line.tenantId, async () => {
      const callId = callSidOf(req.params);
      const status = req.params.CallStatus;
      if (status === undefined || !/^[a-z-]{1,40}$/.test(status)) {
        throw new BadRequestException('CallStatus: missing or malformed');
      }
      if (!ENDED_STATUSES.has(status)) return;
      const known = await this.sessions.findByCallId(line.tenantId, callId);
      if (!known) return;
      try {
        await this.sessions.hangUp(line.tenantId, known.sessionId);
      } catch (err) {
        if (!(err instanceof ConflictException)) throw err;
      }
    });
  }

  private async start(
    line: IvrLineEntity,
    callId: string,
    caller: string | null,
    run: string | undefined,
    menu: string | undefined,
  ) {
    const notifyWorkflowId = run === undefined ? undefined : await this.runOfTenant(line.tenantId, run);
    try {
      const started = await this.sessions.start(line.tenantId, {
        // Another menu than the line's (an ivr_call's menuId): the sessions service checks it is the tenant's.
        menuId: menu ?? line.menuId,
        callId,
        caller,
        notifyWorkflowId,
        // Twilio's Gather times the caller out (after the prompt is spoken) and reports it here.
        providerTimeouts: true,
      });
      return started.turn;
    } catch (err) {
      // Twilio retried the first request while it was being answered: the session exists now.
      if (!(err instanceof ConflictException)) throw err;
      const known = await this.sessions.findByCallId(line.tenantId, callId);
      if (!known) throw err;
      const view = await this.sessions.get(line.tenantId, known.sessionId);
      if (view.state === 'ended') throw err;
      return this.sessions.timeout(line.tenantId, known.sessionId);
    }
  }

  /** `run` must be a rule run of the line's tenant (it will be signalled when the session ends). */
  private async runOfTenant(tenantId: string, run: string): Promise<string> {
    const found =
      RUN_ID.test(run) &&
      (await this.db.getRepository(ExecutionEntity).exists({ where: { workflowId: run, tenantId } }));
    if (!found) throw new BadRequestException('query.run: not a run of this tenant');
    return run;
  }

  private async twiml(line: IvrLineEntity, turn: IvrTurn, url: string): Promise<string> {
    if (turn.state === 'awaiting_input') {
      return gatherTwiml(turn.prompt, await this.timeoutOf(line, turn.menuId), url);
    }
    const outcome = turn.outcome;
    if ((outcome?.type === 'agent' || outcome?.type === 'transfer') && outcome.target) return dialTwiml(outcome.target);
    return hangupTwiml();
  }

  /** The menu's timeout, for Twilio's Gather (the session's own snapshot decides what a timeout does). */
  private async timeoutOf(line: IvrLineEntity, menuId: string): Promise<number> {
    const menu = await this.menus.findMenu(line.tenantId, menuId);
    return menu?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The line of the token (404 when none) and the signed URL; a bad signature is a 403. */
  private async authenticate(req: TwilioRequest): Promise<{ line: IvrLineEntity; url: string }> {
    const hash = LINE_TOKEN_SHAPE.test(req.token) ? hashBearerToken(req.token) : null;
    const line = hash
      ? await asSystem(() => this.db.getRepository(IvrLineEntity).findOneBy({ tokenHash: hash }))
      : null;
    if (!line) throw new NotFoundException('line not found');
    const url = `${this.config.http.publicUrl.replace(/\/+$/, '')}${req.originalUrl}`;
    let authToken: string;
    try {
      authToken = this.box.decrypt(line.authToken);
    } catch {
      throw new ForbiddenException('the signature cannot be checked: the line has no usable auth token');
    }
    if (!isValidTwilioSignature(authToken, url, req.params, req.signature)) {
      throw new ForbiddenException('X-Twilio-Signature does not verify');
    }
    return { line, url };
  }
}

function callSidOf(params: Record<string, string>): string {
  const callId = params.CallSid;
  if (callId === undefined || !CALL_SID.test(callId)) {
    throw new BadRequestException('CallSid: must be CA followed by 32 hex digits');
  }
  return callId;
}
