/** The activity of the hand-written workflow (plain-webhook.workflow.ts): one POST, 2xx or a retry. */
export async function postJson(url: string, body: unknown): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  await res.arrayBuffer();
  if (res.status < 200 || res.status >= 300) throw new Error(`HTTP ${res.status}`);
  return res.status;
}
