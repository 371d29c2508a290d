// Wildmats (RFC 3977 §4): what they select, and that no pattern a client can send makes the
// matcher work for long. The old matcher built a backtracking RegExp: "LIST ACTIVE" with 15
// stars and a "!" took seconds per group and froze every server of the playground (issue 13).

import { describe, expect, test } from "vitest";
import { isWildmat, wildmatMatches } from "../../servers/news/wildmat.ts";
import { makeSeed, RawNntp, startTestNews } from "./nntp-kit.ts";

const NAMES = ["comp.lang.python", "comp.lang.c", "comp.os.linux", "misc.test", "alt.!bang", "a*b", "x?y", "dash-ed"];
const selected = (wildmat: string) => NAMES.filter((name) => wildmatMatches(wildmat, name));

describe("wildmat: what a pattern selects", () => {
  test("* and ?, anchored at both ends", () => {
    expect(selected("*")).toEqual(NAMES);
    expect(selected("comp.*")).toEqual(["comp.lang.python", "comp.lang.c", "comp.os.linux"]);
    expect(selected("*.c")).toEqual(["comp.lang.c"]);
    expect(selected("comp")).toEqual([]);
    expect(selected("misc.tes?")).toEqual(["misc.test"]);
    expect(selected("misc.test?")).toEqual([]);
    expect(selected("*o*o*")).toEqual(["comp.lang.python", "comp.os.linux"]);
  });

  test("§4.2: comma lists are read from the right, and the first match decides; ! says no", () => {
    expect(selected("comp.*,!comp.lang.*")).toEqual(["comp.os.linux"]);
    expect(selected("comp.*,!comp.lang.*,comp.lang.c")).toEqual(["comp.lang.c", "comp.os.linux"]);
    expect(selected("!comp.*,*")).toEqual(NAMES); // the rightmost "*" matches everything first
    expect(selected("misc.*,comp.os.*")).toEqual(["comp.os.linux", "misc.test"]);
  });

  test("the [set] and \\ extensions (§4.3, as INN has them)", () => {
    expect(selected("comp.lang.[cp]*")).toEqual(["comp.lang.python", "comp.lang.c"]);
    expect(selected("comp.lang.[a-d]")).toEqual(["comp.lang.c"]);
    expect(selected("comp.lang.[^c]*")).toEqual(["comp.lang.python"]);
    expect(selected("dash[-]ed")).toEqual(["dash-ed"]);
    expect(selected("a\\*b")).toEqual(["a*b"]);
    expect(selected("x\\?y")).toEqual(["x?y"]);
    expect(selected("alt.!*")).toEqual(["alt.!bang"]); // "!" inside a pattern is an ordinary character
  });

  test("isWildmat: printable, no empty pattern, every [ closed, no \\ at the end", () => {
    for (const good of ["*", "comp.*,!comp.lang.*", "[a-z]*", "a\\*", "[]]"]) expect(isWildmat(good), good).toBe(true);
    for (const bad of ["", "a,,b", "!", "a b", "comp.[ab", "a\\", "caf\u00e9"]) expect(isWildmat(bad), bad).toBe(false);
  });

  test("patterns that made the backtracking RegExp run for minutes are answered at once", () => {
    // 300 stars and a "!" against a name without "!": the old RegExp needed about 2.5^300 steps.
    const stars = "*".repeat(300);
    expect(wildmatMatches(`${stars}!`, "comp.lang.python")).toBe(false);
    expect(wildmatMatches(`${"*a".repeat(200)}!`, "a".repeat(200))).toBe(false);
    expect(wildmatMatches(`${"*?".repeat(15)}n`, "comp.lang.python")).toBe(true); // 15 + 1 = the name's 16 characters
    expect(wildmatMatches(`${"*?".repeat(16)}n`, "comp.lang.python")).toBe(false);
    // Many comma-separated patterns: each is walked once.
    expect(wildmatMatches(Array(150).fill(`${stars}x`).join(","), "comp.lang.python")).toBe(false);
  });
});

describe("wildmat over NNTP", () => {
  test("LIST ACTIVE with hundreds of stars is answered, and so is another client at the same time", async () => {
    const groups = Array.from({ length: 20 }, (_, i) => ({ name: `test.group${i}`, description: `Group ${i}.`, firstNumber: 1 }));
    const news = await startTestNews({ seedDir: await makeSeed(groups, {}) });
    const attacker = await RawNntp.open(news.port);
    const learner = await RawNntp.open(news.port);
    // The line limit (512 octets) allows 490 stars: the old server spent years on this line,
    // and every other server in the process (HTTP, SMTP, FTP) waited with it.
    const line = `LIST ACTIVE ${"*".repeat(490)}!`;
    const learnerSession = async () => [await learner.command("DATE"), await learner.list("LIST ACTIVE test.group1*", "215")] as const;
    const [attacked, [learned, listed]] = await Promise.all([attacker.list(line, "215"), learnerSession()]);
    expect(attacked).toEqual([]);
    expect(learned).toMatch(/^111 \d{14}$/);
    expect(listed).toEqual(["test.group1 0 1 y", ...[10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map((n) => `test.group${n} 0 1 y`)]);
    // NEWNEWS and LIST NEWSGROUPS use the same matcher.
    expect(await attacker.list(`NEWNEWS ${"*".repeat(470)}! 20260101 000000 GMT`, "230")).toEqual([]);
    expect(await attacker.list(`LIST NEWSGROUPS ${"*".repeat(480)}!`, "215")).toEqual([]);
    expect(await attacker.command("LIST ACTIVE comp.[ab")).toMatch(/^501 /);
  });
});
