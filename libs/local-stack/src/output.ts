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
