// PostgreSQL's `text` cannot hold the character U+0000 at all: a string carrying one is refused with
// SQLSTATE 22021 ("invalid byte sequence for encoding UTF8: 0x00"), however often it is retried.
// Text that comes from a payload (an account login, a repository name, an error message quoting
// one) passes through here before it is written.
// https://www.postgresql.org/docs/current/datatype-character.html

/**
 * Replaces each U+0000 with U+FFFD, the Unicode replacement character. Replacing rather than
 * deleting keeps a mangled name from turning into a different, real one (`acme/a\0b` must not
 * become `acme/ab`); GitHub logins and repository names never contain U+FFFD, so nothing collides.
 */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

export function storableTextOrNull(text: string | null): string | null {
  return text === null ? null : storableText(text);
}
