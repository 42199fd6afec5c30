import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { IvrCallReservation, IvrCallStore, IvrLineEntity, IvrLineLookup } from '@ruleflow/entities';
import { storedLineToken } from '@ruleflow/rules/node/line-token';
import { ApplicationFailure } from '@temporalio/common';
import { createTelephonyActivities } from './telephony.activities';

const KEYS = { current: randomBytes(32), previous: [] };
const LINE_ID = '7b0c6f3e-3d4a-4b1e-9c55-2f1a0e5d9b11';
const SID = `CA${'a'.repeat(32)}`;

function line(): IvrLineEntity {
  return {
    id: LINE_ID,
    tenantId: 't1',
    name: 'l',
    menuId: LINE_ID,
    provider: 'twilio',
    accountSid: `AC${'0'.repeat(32)}`,
    authToken: 'secret-token',
    phoneNumber: '+15551230000',
    ...storedLineToken(KEYS, LINE_ID),
    createdAt: new Date(),
    updatedAt: new Date(),
  };
}

/** In-memory ivr_calls with the repository's semantics. */
function memoryCalls(): IvrCallStore & { rows: Map<string, string | null> } {
  const rows = new Map<string, string | null>();
  return {
    rows,
    async reserve(_t, call): Promise<IvrCallReservation> {
      if (rows.has(call.idempotencyKey)) return { fresh: false, callSid: rows.get(call.idempotencyKey) ?? null };
      rows.set(call.idempotencyKey, null);
      return { fresh: true, callSid: null };
    },
    async recordCallSid(_t, key, sid) {
      rows.set(key, sid);
    },
    async release(_t, key) {
      if (rows.get(key) === null) rows.delete(key);
    },
  };
}

describe('placeCall', () => {
  let server: http.Server;
  let answer: (res: http.ServerResponse) => void;
  let requests: number;
  let apiUrl: string;
  const lines: IvrLineLookup = { findLine: async () => line(), findByTokenHash: async () => null };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests += 1;
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    requests = 0;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const input = {
    tenantId: 't1',
    executionId: 'e1',
    workflowId: 'rule-r-e',
    idempotencyKey: 'rule-r-e/call',
    lineId: LINE_ID,
    to: '+15557654321',
  };

  function activities(calls: IvrCallStore, url = apiUrl) {
    return createTelephonyActivities({
      telephony: {
        lines,
        calls,
        keys: KEYS,
        publicUrl: 'https://rf.example.com',
        twilioApiUrl: url,
        allowPrivateNetworks: true,
      },
    });
  }

  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  it('records the CallSid, and a retry of the same action returns it without dialling again', async () => {
    answer = (res) => res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid: SID }));
    const calls = memoryCalls();
    const { placeCall } = activities(calls);
    expect(await placeCall(input)).toEqual({ callId: SID });
    expect(await placeCall(input)).toEqual({ callId: SID });
    expect(requests).toBe(1);
    expect(calls.rows.get(input.idempotencyKey)).toBe(SID);
  });

  it('never dials again when an earlier attempt may have dialled (no CallSid recorded)', async () => {
    const calls = memoryCalls();
    calls.rows.set(input.idempotencyKey, null);
    const failure = await failureOf(activities(calls).placeCall(input));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('IvrCallUncertain');
    expect(requests).toBe(0);
  });

  it('retries only a refused request (429, connection refused), releasing the reservation', async () => {
    answer = (res) => res.writeHead(429).end('{"message":"slow down"}');
    const calls = memoryCalls();
    const refused = await failureOf(activities(calls).placeCall(input));
    expect(refused.nonRetryable).toBe(false);
    expect(calls.rows.has(input.idempotencyKey)).toBe(false);

    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const unreachable = await failureOf(activities(calls, `http://127.0.0.1:${port}`).placeCall(input));
    expect(unreachable.nonRetryable).toBe(false);
    expect(calls.rows.has(input.idempotencyKey)).toBe(false);
  });

  it('refuses a rendered number or line id that is malformed, without a request', async () => {
    for (const bad of [{ to: '{{data.phone}}' }, { to: '+1 555' }, { lineId: 'x' }, { menuId: 'nope' }]) {
      const failure = await failureOf(activities(memoryCalls()).placeCall({ ...input, ...bad }));
      expect(failure.type).toBe('InvalidIvrCall');
      expect(failure.nonRetryable).toBe(true);
    }
    expect(requests).toBe(0);
  });

  it('fails for good on any other answer, keeping the reservation', async () => {
    for (const status of [400, 500]) {
      answer = (res) => res.writeHead(status).end('{"message":"nope"}');
      const calls = memoryCalls();
      const failure = await failureOf(activities(calls).placeCall(input));
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).not.toContain('secret-token');
      expect(calls.rows.has(input.idempotencyKey)).toBe(true);
    }
  });
});
