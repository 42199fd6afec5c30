const COLORS = { green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 } as const;

/** A label colour; colours are used only on a terminal and never with NO_COLOR. */
export type LabelColor = keyof typeof COLORS;

/** Write one line prefixed with `[label]` to stdout or stderr. */
export function labelled(label: string, color: LabelColor): (line: string, stream?: 'stdout' | 'stderr') => void {
  return (line, stream = 'stdout') => {
    const out = stream === 'stderr' ? process.stderr : process.stdout;
    const useColor = out.isTTY && !process.env.NO_COLOR;
    const prefix = useColor ? `\u001b[${COLORS[color]}m[${label}]\u001b[0m` : `[${label}]`;
    out.write(`${prefix} ${line}\n`);
  };
}

/** What `npm start` says once everything is up (README.md shows these lines; output.spec.ts keeps them equal). */
export interface StartBanner {
  seconds: number;
  api: string;
  temporalUi: string;
  adminKey: string;
  adminKeySource: string;
  secretsKeyId: string;
  secretsKeySource: string;
}

/** The banner `npm start` prints when the system is up: where everything is and which keys it uses. */
export function startBannerLines(b: StartBanner): string[] {
  return [
    `Ruleflow is up in ${b.seconds.toFixed(1)} s`,
    `  API          ${b.api}`,
    `  API docs     ${b.api}/docs`,
    `  Temporal UI  ${b.temporalUi}`,
    `  Admin key    ${b.adminKey.slice(0, 7)}…   (${b.adminKeySource})`,
    `  Secrets key  id ${b.secretsKeyId}   (${b.secretsKeySource})`,
    '  Stop with Ctrl-C.',
  ];
}
