import { createHmac } from 'node:crypto';
import { isValidTwilioSignature, twilioSignature } from './twilio-signature';
import { dialTwiml, escapeXml, gatherTwiml, hangupTwiml } from './twiml';

describe('Twilio signature', () => {
  // Twilio's documented example (https://www.twilio.com/docs/usage/security#validating-requests).
  const token = '12345';
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+12349013030',
    Digits: '1234',
    From: '+12349013030',
    To: '+18005551212',
  };

  it('matches the value Twilio documents for its example request', () => {
    expect(twilioSignature(token, url, params)).toBe('0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  });

  it('matches an HMAC computed here by hand (sorted keys, key+value appended to the URL)', () => {
    const data = `${url}CallSid${params.CallSid}Caller${params.Caller}Digits1234From${params.From}To${params.To}`;
    expect(twilioSignature(token, url, params)).toBe(createHmac('sha1', token).update(data).digest('base64'));
  });

  it('refuses a missing, altered or foreign signature', () => {
    const good = twilioSignature(token, url, params);
    expect(isValidTwilioSignature(token, url, params, good)).toBe(true);
    expect(isValidTwilioSignature(token, url, params, undefined)).toBe(false);
    expect(isValidTwilioSignature(token, url, params, '')).toBe(false);
    expect(isValidTwilioSignature(token, url, { ...params, Digits: '9' }, good)).toBe(false);
    expect(isValidTwilioSignature('other', url, params, good)).toBe(false);
    expect(isValidTwilioSignature(token, `${url}&x=1`, params, good)).toBe(false);
  });
});

describe('TwiML', () => {
  it('gathers one digit with the prompt, then redirects to the voice URL', () => {
    expect(gatherTwiml('Press 1 <now> & "go"', 10_000, 'https://x/v1/ivr/voice/t?run=a&b=c')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        '<Gather input="dtmf" numDigits="1" timeout="10" action="https://x/v1/ivr/voice/t?run=a&amp;b=c" method="POST">' +
        '<Say>Press 1 &lt;now&gt; &amp; &quot;go&quot;</Say></Gather>' +
        '<Redirect method="POST">https://x/v1/ivr/voice/t?run=a&amp;b=c</Redirect></Response>',
    );
  });

  it('dials a target and hangs up', () => {
    expect(dialTwiml("+1 555 <x>'")).toContain('<Dial>+1 555 &lt;x&gt;&apos;</Dial>');
    expect(hangupTwiml()).toContain('<Response><Hangup/></Response>');
  });

  it('drops characters XML cannot carry', () => {
    expect(escapeXml('a\u0001b\u000bc\td')).toBe('abc\td');
  });
});
