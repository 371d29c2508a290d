// Wildmats (RFC 3977 §4): the patterns LIST ACTIVE, LIST NEWSGROUPS and NEWNEWS use to pick groups.
//
//   comp.*                     every group whose name starts with "comp."
//   comp.*,!comp.lang.*        …except the comp.lang ones
//   *                          everything
//   comp.lang.[cp]*            comp.lang.c, comp.lang.python … (the [set] extension of §4.3, as INN has it)
//
// A wildmat is a comma-separated list of patterns; "*" matches any run of characters and "?"
// exactly one. §4.2: the patterns are tried from the RIGHT; the first one that matches decides,
// and a pattern starting with "!" means "no". A name no pattern matches is not selected.
// The extensions INN adds (§4.3 leaves "[", "\" and "]" to them): "[abc]", "[a-z]" and "[^a-z]"
// match one character in (or not in) a set, and "\" makes the next character an ordinary one.
//
// Why no RegExp: turning "*" into ".*" gives a BACKTRACKING regular expression. For
// "***************!" against "comp.lang.python" it tries every way of sharing the name among
// the 15 stars before it gives up — 2.5 times longer per star, 30 seconds for this one 30-byte
// line, while the whole playground (one event loop) answers nobody. The matcher below never
// goes back more than to the LAST star it passed: at most (name length + 1) × (pattern length + 1)
// steps, however the stars are arranged.

/** One piece of a pattern: a star, a "?", one exact character, or a [set]. */
type Token =
  | { kind: "star" }
  | { kind: "any" }
  | { kind: "exact"; char: string }
  | { kind: "set"; negated: boolean; ranges: [string, string][] };

/** True if `name` (a newsgroup name) is selected by `wildmat`. */
export function wildmatMatches(wildmat: string, name: string): boolean {
  const patterns = wildmat.split(",");
  const chars = Array.from(name); // by character, so "?" matches one UTF-8 character, not one byte
  for (let i = patterns.length - 1; i >= 0; i--) {
    const negated = patterns[i].startsWith("!");
    const tokens = parsePattern(negated ? patterns[i].slice(1) : patterns[i]);
    if (tokens !== null && patternMatches(tokens, chars)) return !negated;
  }
  return false;
}

/** True if `text` is a wildmat we can read: printable, no spaces (§4.1), every [set] closed, no "\" at the end. */
export function isWildmat(text: string): boolean {
  if (!/^[\x21-\x7e]+$/.test(text)) return false;
  return text.split(",").every((pattern) => {
    const body = pattern.startsWith("!") ? pattern.slice(1) : pattern;
    return body !== "" && parsePattern(body) !== null;
  });
}

/**
 * The classic two-finger walk: one finger in the pattern, one in the name. A star first matches
 * nothing; when something later does not fit, the star we passed last swallows one more
 * character of the name and the walk goes on from there. Only the last star ever needs to be
 * revisited: whatever an earlier star might swallow instead, the last one can swallow too.
 */
function patternMatches(tokens: Token[], name: string[]): boolean {
  let p = 0; // next token
  let n = 0; // next character of the name
  let lastStar = -1; // the token index of the last star passed, -1: none yet
  let swallowedUpTo = 0; // the name position where that star's match ends now
  while (n < name.length) {
    const token = tokens[p];
    if (token?.kind === "star") {
      lastStar = p++;
      swallowedUpTo = n;
    } else if (token !== undefined && matchesOne(token, name[n])) {
      p++;
      n++;
    } else if (lastStar !== -1) {
      p = lastStar + 1; // back to just after the last star, which now takes one more character
      n = ++swallowedUpTo;
    } else {
      return false;
    }
  }
  // The name is used up: only stars (matching nothing) may be left in the pattern.
  while (tokens[p]?.kind === "star") p++;
  return p === tokens.length;
}

function matchesOne(token: Token, char: string): boolean {
  switch (token.kind) {
    case "any":
      return true;
    case "exact":
      return token.char === char;
    case "set":
      return token.ranges.some(([low, high]) => low <= char && char <= high) !== token.negated;
    case "star":
      return false;
  }
}

/** A pattern's tokens, or null if it cannot be read (an unclosed "[", a "\" with nothing after it). */
function parsePattern(pattern: string): Token[] | null {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  for (let at = 0; at < chars.length; at++) {
    const char = chars[at];
    if (char === "*") {
      // "**" matches what "*" does: keeping one makes the walk shorter.
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (char === "?") {
      tokens.push({ kind: "any" });
    } else if (char === "\\") {
      if (at + 1 >= chars.length) return null;
      tokens.push({ kind: "exact", char: chars[++at] });
    } else if (char === "[") {
      const set = parseSet(chars, at + 1);
      if (set === null) return null;
      tokens.push(set.token);
      at = set.end;
    } else {
      tokens.push({ kind: "exact", char });
    }
  }
  return tokens;
}

/**
 * A [set] starting after its "[" at `start`: "^" first negates it; a "]" right at the start and a
 * "-" at either end are ordinary characters; "a-z" is a range; "\" makes the next one ordinary.
 * Returns the token and the position of the closing "]", or null if there is none.
 */
function parseSet(chars: string[], start: number): { token: Token; end: number } | null {
  let at = start;
  const negated = chars[at] === "^";
  if (negated) at++;
  const ranges: [string, string][] = [];
  const first = at;
  for (; at < chars.length; at++) {
    if (chars[at] === "]" && at > first) return { token: { kind: "set", negated, ranges }, end: at };
    let low = chars[at];
    if (low === "\\" && at + 1 < chars.length) low = chars[++at];
    let high = low;
    if (chars[at + 1] === "-" && at + 2 < chars.length && chars[at + 2] !== "]") {
      high = chars[at + 2] === "\\" && at + 3 < chars.length ? chars[at + 3] : chars[at + 2];
      at += chars[at + 2] === "\\" ? 3 : 2;
    }
    ranges.push([low, high]);
  }
  return null;
}
