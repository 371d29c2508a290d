// Wildmats (RFC 3977 §4): the patterns LIST ACTIVE, LIST NEWSGROUPS and NEWNEWS use to pick groups.
//
//   comp.*                     every group whose name starts with "comp."
//   comp.*,!comp.lang.*        …except the comp.lang ones
//   *                          everything
//
// A wildmat is a comma-separated list of patterns; "*" matches any run of characters and "?"
// exactly one. §4.2: the patterns are tried from the RIGHT; the first one that matches decides,
// and a pattern starting with "!" means "no". A name no pattern matches is not selected.

/** True if `name` (a newsgroup name) is selected by `wildmat`. */
export function wildmatMatches(wildmat: string, name: string): boolean {
  const patterns = wildmat.split(",");
  for (let i = patterns.length - 1; i >= 0; i--) {
    const negated = patterns[i].startsWith("!");
    const pattern = negated ? patterns[i].slice(1) : patterns[i];
    if (patternToRegExp(pattern).test(name)) return !negated;
  }
  return false;
}

/** True if `text` is a wildmat we can read: printable, no spaces (§4.1). */
export function isWildmat(text: string): boolean {
  return /^[\x21-\x7e]+$/.test(text) && text.split(",").every((pattern) => pattern !== "" && pattern !== "!");
}

function patternToRegExp(pattern: string): RegExp {
  const source = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}
