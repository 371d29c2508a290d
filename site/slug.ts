// Heading ids the way GitHub makes them (github-slugger), so that a link written for the README on
// GitHub (`README.md#break-it`) also works on the site: lower-case, punctuation removed, spaces
// become '-', letters of every script kept as they are — `## 端口与地址` gets the id `端口与地址`,
// readable in the address bar, not `%E7%AB%AF…`. A repeated heading gets `-1`, `-2`, … appended.

export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    // keep letters, combining marks, digits, '_' and '-' and spaces; drop the rest (punctuation, emoji)
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** One per page: remembers the ids already given out, so duplicates get a number. */
export class Slugger {
  private seen = new Map<string, number>();

  slug(text: string): string {
    const base = slugify(text);
    let slug = base;
    let count = this.seen.get(base) ?? 0;
    while (this.seen.has(slug)) slug = `${base}-${++count}`;
    this.seen.set(base, count);
    this.seen.set(slug, 0);
    return slug;
  }
}
