// Keeps credentials out of messages: every text a source builds from the outside world passes here.

const MASK = '[redacted]';

/** Short values are not masked: they would mangle ordinary words and are not real keys anyway. */
const MIN_SECRET_LENGTH = 4;

export type Redactor = (text: string) => string;

/**
 * `secrets` is read at each call so rotated credentials (a re-mounted Secret file) stay covered.
 * Base64 forms are masked too, since Basic auth carries them.
 */
export function redactor(secrets: () => readonly (string | undefined)[]): Redactor {
  return (text: string): string => {
    let out = text;
    for (const secret of expand(secrets())) out = out.split(secret).join(MASK);
    return out;
  };
}

function expand(secrets: readonly (string | undefined)[]): string[] {
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < MIN_SECRET_LENGTH) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
    all.add(Buffer.from(s).toString('base64'));
  }
  // Longest first so a secret that contains another is masked whole.
  return [...all].sort((a, b) => b.length - a.length);
}
