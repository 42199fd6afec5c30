export * from './app-role';
export * from './data-dir-lock';
export * from './embedded-postgres';
export * from './ports';
export * from './processes';
export * from './temporal-cli';
export * from './temporal-dev-server';
export * from './output';
