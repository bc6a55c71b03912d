/**
 * A minimal YAML writer for the generated rule files: maps, lists, strings, numbers and booleans.
 * Strings are plain when they are simple words, else single-quoted (PromQL's double quotes need no
 * escaping there); strings with line breaks or control characters are written as JSON strings, which
 * are valid YAML double-quoted scalars.
 */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue | undefined };

const PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;
const NUMERIC = /^[-+]?(\d[\d_]*(\.\d*)?([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return 'null';
  if (typeof v !== 'string') return String(v);
  if (PLAIN.test(v) && !RESERVED.test(v) && !NUMERIC.test(v)) return v;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) return JSON.stringify(v);
  return `'${v.replace(/'/g, "''")}'`;
}

function isScalar(v: YamlValue): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

function lines(value: YamlValue, indent: string): string[] {
  if (isScalar(value)) return [indent + scalar(value)];
  if (Array.isArray(value)) {
    if (!value.length) return [`${indent}[]`];
    return value.flatMap((item) => {
      if (isScalar(item)) return [`${indent}- ${scalar(item)}`];
      const inner = lines(item, `${indent}  `);
      return [`${indent}- ${inner[0].slice(indent.length + 2)}`, ...inner.slice(1)];
    });
  }
  const entries = Object.entries(value).filter((e): e is [string, YamlValue] => e[1] !== undefined);
  if (!entries.length) return [`${indent}{}`];
  return entries.flatMap(([key, v]) => {
    const k = scalar(key);
    if (isScalar(v)) return [`${indent}${k}: ${scalar(v)}`];
    if (Array.isArray(v) && !v.length) return [`${indent}${k}: []`];
    if (!Array.isArray(v) && !Object.values(v).some((x) => x !== undefined)) return [`${indent}${k}: {}`];
    return [`${indent}${k}:`, ...lines(v, `${indent}  `)];
  });
}

/** Serialises a value as a YAML document (ends with a newline). */
export function toYaml(value: YamlValue, header?: string): string {
  const head = header
    ? header
        .split('\n')
        .map((l) => (l ? `# ${l}` : '#'))
        .join('\n') + '\n'
    : '';
  return head + lines(value, '').join('\n') + '\n';
}
