/** A real local SMTP server for tests: captures every accepted message. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpCapture {
  /** `smtp://127.0.0.1:<port>` (plain SMTP, no auth). */
  url: string;
  messages: CapturedMail[];
  /** Answers a recipient with this SMTP reply code instead of accepting it (e.g. 550, 451). */
  rejectRecipient(address: string, code: number): void;
  /** Resolves once at least n messages arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<CapturedMail[]>;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const rejections = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const code = rejections.get(address.address.toLowerCase());
      if (code) {
        const err = Object.assign(new Error(`recipient ${address.address} refused`), { responseCode: code });
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = (server.server as { address(): AddressInfo }).address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    rejectRecipient(address, code) {
      rejections.set(address.toLowerCase(), code);
    },
    async waitFor(n, timeoutMs = 10000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} mails, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
