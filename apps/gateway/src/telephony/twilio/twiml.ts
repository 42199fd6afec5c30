/**
 * The few TwiML answers the voice webhook gives, with XML escaping of every text and attribute.
 */

/** Escapes text and attribute values; characters XML 1.0 cannot carry at all are dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

/** Say the prompt and gather one DTMF digit, posted to `actionUrl`; without input, Twilio follows the Redirect. */
export function gatherTwiml(prompt: string | null, timeoutMs: number, actionUrl: string): string {
  const seconds = Math.max(1, Math.round(timeoutMs / 1000));
  const url = escapeXml(actionUrl);
  const say = prompt ? `<Say>${escapeXml(prompt)}</Say>` : '';
  return (
    `${HEAD}<Response><Gather input="dtmf" numDigits="1" timeout="${seconds}" action="${url}" method="POST">` +
    `${say}</Gather><Redirect method="POST">${url}</Redirect></Response>`
  );
}

/** Connect the caller to `target` (an agent queue or a number). */
export function dialTwiml(target: string): string {
  return `${HEAD}<Response><Dial>${escapeXml(target)}</Dial></Response>`;
}

export function hangupTwiml(): string {
  return `${HEAD}<Response><Hangup/></Response>`;
}
