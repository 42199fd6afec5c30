import { readFileSync } from 'node:fs';
import type { RuleflowConfig } from './config';
import { ConfigError } from './config';

/** Options shared by the client `Connection` and the worker `NativeConnection` (same shape in both SDK parts). */
export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

/** Build connection options for a real cluster (TLS client certificates, Temporal Cloud API key) or a dev server. */
export function temporalConnectionOptions(config: RuleflowConfig): TemporalConnectionOptions {
  const { address, tls, apiKey } = config.temporal;
  if (!address) throw new ConfigError('TEMPORAL_ADDRESS is not set (npm start sets it for the local dev server)');
  const read = (file: string, variable: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new ConfigError(`${variable}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return {
    address,
    apiKey,
    tls: tls
      ? {
          serverNameOverride: tls.serverName,
          serverRootCACertificate: tls.caPath ? read(tls.caPath, 'TEMPORAL_TLS_CA_PATH') : undefined,
          clientCertPair:
            tls.certPath && tls.keyPath
              ? { crt: read(tls.certPath, 'TEMPORAL_TLS_CERT_PATH'), key: read(tls.keyPath, 'TEMPORAL_TLS_KEY_PATH') }
              : undefined,
        }
      : undefined,
  };
}
