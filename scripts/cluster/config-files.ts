import path from 'node:path';

/** The Temporal Server's config template and dynamic config: `npm run cluster` and docker-compose.temporal.yml use these. */
export function temporalServerConfigFiles(root: string): { configFile: string; dynamicConfigFile: string } {
  const dir = path.join(root, 'scripts', 'cluster');
  return {
    configFile: path.join(dir, 'temporal-server.yaml'),
    dynamicConfigFile: path.join(dir, 'temporal-dynamic-config.yaml'),
  };
}

/** The schema steps (databases, setup-schema, update-schema) both run. */
export function temporalSchemaScript(root: string): string {
  return path.join(root, 'scripts', 'cluster', 'temporal-schema.sh');
}
