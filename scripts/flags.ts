/** Command-line flags of the scripts (benchmarks, `npm run cluster`): one parser, errors naming the flag. */

/** The value of `--name value` or `--name=value` on the command line; undefined when the flag is absent. */
export function flagValue(argv: string[], name: string): string | undefined {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice(argv[at]!.indexOf('=') + 1) : (argv[at + 1] ?? '');
}

/** `--name N` as an integer from 1 to `max`, else `fallback`; anything else is refused, naming the flag. */
export function intFlag(argv: string[], name: string, fallback: number, max: number): number {
  const raw = flagValue(argv, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return n;
}
