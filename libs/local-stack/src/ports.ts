import net from 'node:net';

/** True when nothing listens on host:port (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TCP port that is free on 127.0.0.1 right now (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not obtain a free port'))));
    });
  });
}

/** Throw a message naming the variable that sets the port when host:port is taken. */
export async function assertPortFree(port: number, variable: string, what: string, host = '127.0.0.1'): Promise<void> {
  if (await isPortFree(port, host)) return;
  throw new PortInUseError(
    `${what}: port ${port} on ${host} is already in use. Stop whatever listens there, or set ${variable} to a free port.`,
    port,
    variable,
  );
}

/** A port needed by a local service is taken; the message names the variable to change. */
export class PortInUseError extends Error {
  constructor(
    message: string,
    readonly port: number,
    readonly variable: string,
  ) {
    super(message);
    this.name = 'PortInUseError';
  }
}

/**
 * A port free on `host` right now within [min, max): for services that store their port in a
 * narrower type than the OS's ephemeral range (Temporal keeps membership ports in a smallint).
 */
export async function freePortInRange(min: number, max: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = min + Math.floor(Math.random() * (max - min));
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port between ${min} and ${max} on ${host}`);
}
