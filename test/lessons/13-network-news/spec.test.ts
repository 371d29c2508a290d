// Spec for lessons/13-network-news: an NNTP client over a raw socket, checked against a fresh
// playground news server (the seed discussions) per check, through a friendly and a hostile
// network — plus the newsreader functions of exercises 17-12 to 17-16. So that no answer can
// know the results in advance, the checks post fresh articles with random words and ids.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { checkLesson, expectRejects, expectThrows, isNotStarted } from "../../kit/checker.ts";
import { codeWithoutComments, importsIn } from "../../kit/source.ts";
import { article, freshMessageId, freshWord, postDirect, startNews } from "./news.ts";
import { scriptedMessageId, startScriptedNews } from "./scripted-news.ts";
import { startWireRecorder, wireMistakes } from "./wire.ts";
import * as exercise from "../../../lessons/13-network-news/exercise.ts";
import * as solution from "../../../lessons/13-network-news/solution.ts";

// The public side of an answer (the private parts of NntpClient differ from one answer to the next).
type ClientApi = Pick<
  solution.NntpClient,
  "greeting" | "login" | "group" | "stat" | "next" | "last" | "over" | "xhdr" | "head" | "body" | "post" | "quit"
>;
interface Lesson13 {
  NntpClient: { connect(host: string, port: number): Promise<ClientApi> };
  firstAndLatest(client: never, group: string): Promise<{ first: solution.ArticlePointer; latest: solution.ArticlePointer }>;
  meaningfulLines(lines: string[], limit?: number): string[];
  search<T extends { subject: string; body: string }>(articles: T[], query: string): T[];
  buildThreads<T extends { number: number; messageId: string; references: string[] }>(overviews: T[]): solution.Thread<T>[];
}

/** Lines a server must dot-stuff, a line that is only ".", UTF-8 text, and many lines ending in ".". */
function dotsBody(word: string): string[] {
  return [
    `Lines that start with a dot (${word}):`,
    ".",
    "..",
    ".hidden and .bashrc are file names.",
    "...three dots",
    "粘包 is Chinese for “sticky packets” ✓",
    "    indented, and trailing spaces that must survive   ",
    ...Array.from({ length: 30 }, (_, i) => `Sentence ${i + 1} ends with a dot.`),
    ".",
    "The end.",
  ];
}

const NETWORK_TIMEOUT = 20_000;

/** Waits up to `ms` for `promise`: "resolved", "rejected", or still "pending". */
async function settle(promise: Promise<unknown>, ms: number): Promise<"resolved" | "rejected" | "pending"> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise<"pending">((resolve) => (timer = setTimeout(() => resolve("pending"), ms)));
  try {
    return await Promise.race([promise.then(() => "resolved" as const, () => "rejected" as const), pending]);
  } finally {
    clearTimeout(timer);
  }
}

checkLesson<Lesson13>("13-network-news", {
  exercise: exercise as unknown as Lesson13,
  checks: [
    {
      name: "talks NNTP itself: node:net, no NNTP library, not the playground's code",
      timeoutMs: 10_000,
      async run(impl, network) {
        // Call it once, so that an untouched todo() stub shows as "not started" here too.
        const news = await startNews(network);
        const attempt = impl.NntpClient.connect("127.0.0.1", news.port).then(
          (client) => client.quit(),
          (err: unknown) => {
            if (isNotStarted(err)) throw err;
          },
        );
        await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, 500))]);
        attempt.catch(() => {});

        let path = network.sourceFile;
        // A slim wrong answer re-exports the reference solution and replaces one function: its
        // client IS the solution's, so the solution's imports are the ones to check.
        if (impl !== exercise && /export \* from "[^"]*lessons\/13-network-news\/solution\.ts"/.test(readFileSync(path, "utf8"))) {
          path = fileURLToPath(new URL("../../../lessons/13-network-news/solution.ts", import.meta.url));
        }
        const code = codeWithoutComments(path);
        const imports = importsIn(code);
        for (const name of imports) {
          expect(name, `${path} must not import an NNTP or news library`).not.toMatch(/nntp|news|usenet/i);
          expect(name, `${path} must not import the playground's own code (its line reader would do the work for you)`).not.toMatch(
            /servers\//,
          );
        }
        expect(code, `${path} should use node:net`).toMatch(/["'](node:)?net["']/);
      },
    },
    {
      name: "meaningfulLines (17-13): no quotes or attributions, >>> prompts kept, blank runs collapsed, limit",
      run({ meaningfulLines }) {
        const [a, b, c, d, e, f] = Array.from({ length: 6 }, () => freshWord());
        const body = [
          "",
          "",
          `In article <${a}@example.com>,`,
          `${a} <${a}@example.com> wrote:`,
          `> quoted ${b}`,
          `>> quoted twice ${b}`,
          `| quoted with a bar ${b}`,
          "",
          `First real line ${c}   `,
          `    indented code ${c}   `,
          `I wrote it, and nobody writes tests for ${c}.`,
          "",
          "",
          "",
          ">>> import socket",
          `>>> print("${d}")`,
          d,
          ">>>",
          `>>>> a quote of a quote of a quote ${b}`,
          `> >>> a quoted prompt ${b}`,
          `Somebody Important WROTE:`,
          `${e} <${e}@example.org> writes:`,
          "",
          `Ends with a colon: ${f}:`,
          "",
          "",
        ];
        expect(
          meaningfulLines(body),
          "meaningfulLines(body): only the trailing spaces go (indentation stays), and only a line ENDING in wrote:/writes: is an attribution",
        ).toEqual([
          `First real line ${c}`,
          `    indented code ${c}`,
          `I wrote it, and nobody writes tests for ${c}.`,
          "",
          ">>> import socket",
          `>>> print("${d}")`,
          d,
          ">>>",
          "",
          `Ends with a colon: ${f}:`,
        ]);
        const long = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? "" : `line ${i} ${a}`));
        const twenty = meaningfulLines(long);
        expect(twenty.filter((line) => line !== "").length, "20 lines that are not blank by default").toBe(20);
        expect(twenty.at(-1), "the 20th non-blank line is the last").toBe("line 28 " + a);
        expect(meaningfulLines(long, 3), "limit 3").toEqual([`line 0 ${a}`, `line 1 ${a}`, "", `line 3 ${a}`]);
        expect(meaningfulLines(["", "> only a quote", ""]), "nothing meaningful").toEqual([]);
      },
    },
    {
      name: "search (17-14/15): subject and body, whole words, any case, AND binds tighter than OR",
      run({ search }) {
        const [A, B, C, D, E] = [freshWord("a"), freshWord("b"), freshWord("c"), freshWord("d"), freshWord("e")];
        const articles = [
          { id: 1, subject: `${A} ${B}`, body: "" },
          { id: 2, subject: "nothing here", body: `only ${A} in the body` },
          { id: 3, subject: "", body: `just ${C}.` },
          { id: 4, subject: `${A}${B}`, body: `pre${C} ${B}post` }, // the words only inside longer words
          { id: 5, subject: `${B.toUpperCase()}() was called`, body: "" },
          { id: 6, subject: "中文", body: `这是粘包问题 ${A}` },
          { id: 7, subject: `about ${D}`, body: `then ${E}` },
        ];
        const ids = (query: string) => search(articles, query).map((found) => found.id);
        // Failure messages show the articles, so that "expected [1, 2, 4, 6]" can be understood.
        const shown = articles.map(({ id, subject, body }) => `\n  ${id}: subject ${JSON.stringify(subject)}, body ${JSON.stringify(body)}`).join("");
        const searched = `\nsearched:${shown}\n`;
        expect(ids(A), `search "${A}" (whole words: article 4 has "${A}" only inside longer words)${searched}`).toEqual([1, 2, 6]);
        expect(ids(A.toUpperCase()), "case-insensitive" + searched).toEqual([1, 2, 6]);
        expect(ids(`${A} ${B}`), "two terms: AND" + searched).toEqual([1]);
        expect(ids(`${A} AND ${B}`), "AND" + searched).toEqual([1]);
        expect(ids(`${B} OR ${C}`), "OR" + searched).toEqual([1, 3, 5]);
        expect(ids(`${C} OR ${A} AND ${B}`), "C OR (A AND B): AND binds tighter" + searched).toEqual([1, 3]);
        expect(ids(`${A} ${B} OR ${C}`), "(A AND B) OR C" + searched).toEqual([1, 3]);
        expect(ids(`${B}()`), "a term with regex characters in it" + searched).toEqual([5]);
        expect(ids(`${D} ${E}`), "AND across fields: one term in the subject, the other in the body" + searched).toEqual([7]);
        expect(ids(`${A} or ${C}`), `lower-case "or" is a term to look for, not an operator (only OR is)` + searched).toEqual([]);
        expect(ids(`${D} and ${E}`), `lower-case "and" is a term to look for, not an operator (only AND is)` + searched).toEqual([]);
        expect(ids("粘包"), "Chinese is written without spaces: a term matches inside a sentence" + searched).toEqual([6]);
        expect(ids(freshWord()), "a word nobody wrote").toEqual([]);
        expectThrows(() => search(articles, "   "), "search with an empty query");
      },
    },
    {
      name: "buildThreads (17-16): trees from References, nearest ancestor for expired parents, orphans kept",
      run({ buildThreads }) {
        const id = (name: string) => `<${name}.${freshWord()}@example.com>`;
        const [R, A, B, C, D, O, S, L, M, X, Y, Z] = ["R", "A", "B", "C", "D", "O", "S", "L", "M", "X", "Y", "Z"].map(id);
        const overviews = [
          { number: 14, messageId: D!, references: [R!, A!, Y!] }, // Y expired: under A
          { number: 10, messageId: R!, references: [] },
          { number: 12, messageId: B!, references: [R!, A!] },
          { number: 16, messageId: S!, references: [] },
          { number: 11, messageId: A!, references: [R!] },
          { number: 13, messageId: C!, references: [R!, X!] }, // X expired: under R
          { number: 15, messageId: O!, references: [Z!] }, // its whole thread expired: an orphan, a root
          { number: 17, messageId: L!, references: [M!] }, // refers to a LATER article: a root
          { number: 18, messageId: M!, references: [L!] },
        ];
        type Shape = { n: number; replies: Shape[] };
        const shape = (threads: solution.Thread<(typeof overviews)[number]>[]): Shape[] =>
          threads.map((t) => ({ n: t.article.number, replies: shape(t.replies) }));
        const threads = buildThreads(overviews);
        const leaf = (n: number): Shape => ({ n, replies: [] });
        expect(shape(threads), "the threads (article numbers)").toEqual([
          { n: 10, replies: [{ n: 11, replies: [leaf(12), leaf(14)] }, leaf(13)] },
          leaf(15),
          leaf(16),
          { n: 17, replies: [leaf(18)] },
        ]);
        expect(threads[0]!.article, "each node holds the article object it was given").toBe(overviews[1]);
        expect(buildThreads([]), "no articles, no threads").toEqual([]);
      },
    },
    {
      name: "firstAndLatest (17-12) on a server whose low water mark and three newest numbers have expired",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient, firstAndLatest }, network) {
        // GROUP says 100 to 120; present are 103, 104, 110, 111 (RFC 3977 §6.1.1.2 allows that).
        const server = await startScriptedNews({ name: "scripted.expired", low: 100, high: 120, present: [103, 104, 110, 111] });
        network.defer(() => server.close());
        const client = await NntpClient.connect("127.0.0.1", await network.tcp(server.port));
        const found = await firstAndLatest(client as never, "scripted.expired");
        expect(found.first, "first: GROUP says 100, which has expired; after GROUP, a bare STAT names the first present").toEqual({
          number: 103,
          messageId: scriptedMessageId(103),
        });
        expect(found.latest, "latest: GROUP says 120, but 112 to 120 are gone: walk down until STAT stops answering 423").toEqual({
          number: 111,
          messageId: scriptedMessageId(111),
        });
        await client.quit();
      },
    },
    {
      name: "firstAndLatest (17-12): an error other than 423 while walking down rejects (it is not an expired article)",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient, firstAndLatest }, network) {
        const server = await startScriptedNews({ name: "scripted.fault", low: 100, high: 120, present: [103, 110], faultAt: 118 });
        network.defer(() => server.close());
        const client = await NntpClient.connect("127.0.0.1", await network.tcp(server.port));
        const outcome = await settle(firstAndLatest(client as never, "scripted.fault"), 4000);
        expect(outcome, "STAT 118 answered 403 (an internal fault): firstAndLatest must reject, not take it for an expired article").toBe(
          "rejected",
        );
        await client.quit();
      },
    },
    {
      name: "BODY and HEAD: by number and by Message-ID, dot-unstuffed, UTF-8 intact; POST stuffs the dots",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient }, network) {
        const news = await startNews(network);
        const word = freshWord();
        const messageId = freshMessageId();
        const number = await postDirect(news, { group: "playground.test", subject: `dots ${word}`, messageId, body: dotsBody(word) });

        const wire = await startWireRecorder(await network.tcp(news.port)); // your client → recorder → network → server
        network.defer(() => wire.close());
        const client = await NntpClient.connect("127.0.0.1", wire.port);
        await client.group("playground.test");
        expect(await client.body(number), `BODY ${number}: the lines as posted (one dot removed from stuffed lines)`).toEqual(dotsBody(word));
        expect(await client.body(messageId), `BODY ${messageId}`).toEqual(dotsBody(word));
        const head = await client.head(messageId);
        expect(head, `HEAD ${messageId}: the header lines`).toContain(`Message-ID: ${messageId}`);
        expect(head, `HEAD ${messageId}: the header lines`).toContain(`Subject: dots ${word}`);
        expect(head, "HEAD: headers only, no blank line, no body").not.toContain("");

        // The other direction: our POST must stuff the dots, or the server ends the article early.
        const postedId = freshMessageId();
        const other = freshWord();
        await client.post(article({ group: "playground.test", subject: `posted ${other}`, messageId: postedId, body: dotsBody(other) }));
        // An article as a text file holds it (ending in a newline), and one written with \r\n line ends.
        const [lfId, crlfId] = [freshMessageId(), freshMessageId()];
        const short = [`short ${other}`, "two lines"];
        await client.post(article({ group: "playground.test", subject: `lf ${other}`, messageId: lfId, body: short }) + "\n");
        const crlf = article({ group: "playground.test", subject: `crlf ${other}`, messageId: crlfId, body: short });
        await client.post(crlf.replaceAll("\n", "\r\n") + "\r\n");
        await client.quit();
        const mistakes = wireMistakes(wire.events);
        if (mistakes.length > 0) throw new Error(mistakes.join("\n"));
        expect(wire.clientText().endsWith("QUIT\r\n"), "the last thing your client sent: QUIT\\r\\n (RFC 3977 §5.4)").toBe(true);
        const direct = await news.direct();
        expect(await direct.body(postedId), "the article your POST sent, read back: every line as you meant it").toEqual(dotsBody(other));
        expect(await direct.body(lfId), 'an article ending in "\\n", read back: its final newline is not an extra blank line').toEqual(short);
        expect(await direct.body(crlfId), 'an article written with "\\r\\n" line ends, read back: no stray "\\r"').toEqual(short);
        await direct.quit();
      },
    },
    {
      name: "the server's connection ends in the middle of BODY's answer: body() rejects, it does not wait",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient }, network) {
        const news = await startNews(network);
        const number = await postDirect(news, { group: "playground.test", subject: freshWord(), messageId: freshMessageId(), body: dotsBody(freshWord()) });
        // The recorder passes the 222 status line and one more line, then ends the connection.
        const wire = await startWireRecorder(await network.tcp(news.port), /(^|\n)222 [^\n]*\n[^\n]*\n/);
        network.defer(() => wire.close());
        const client = await NntpClient.connect("127.0.0.1", wire.port);
        await client.group("playground.test");
        const outcome = await settle(client.body(number), 3000);
        if (outcome === "pending") {
          throw new Error("the connection ended after one line of BODY's answer, and body() still waits 3 s later: reject when the socket ends or closes");
        }
        expect(outcome, "body() of an answer cut off before its '.' line: it is incomplete, reject").toBe("rejected");
      },
    },
    {
      name: "greeting, GROUP's count/first/last, POST, then OVER and XHDR find the new article",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient }, network) {
        const news = await startNews(network);
        const direct = await news.direct();
        const before = await direct.group("comp.lang.python");
        const firstTwo = [await direct.stat(), await direct.next()];
        await direct.quit();

        const client = await NntpClient.connect("127.0.0.1", await network.tcp(news.port));
        expect(client.greeting, "the greeting (the server's first line, without its \\r\\n)").toMatch(/^20[01] .*[^\r\n]$/);
        expect(await client.group("comp.lang.python"), "GROUP comp.lang.python").toEqual(before);
        expect(await client.stat(), "STAT right after GROUP: the current article is the first one").toEqual(firstTwo[0]);
        expect(await client.next(), "NEXT: the pointer moves to the second article").toEqual(firstTwo[1]);
        expect(await client.last(), "LAST: and back to the first").toEqual(firstTwo[0]);
        const noLast = await expectRejects(client.last(), "last() on the first article");
        expect((noLast as solution.NntpError).code, "LAST before the first article: 422").toBe(422);

        const subject = `${freshWord()} and ${freshWord()}`;
        const messageId = freshMessageId();
        await client.post(article({ group: "comp.lang.python", subject, messageId, body: ["Hello from the spec."] }));
        const after = await client.group("comp.lang.python");
        expect(after, "GROUP after one POST: one more article, the high water mark one higher").toEqual({
          ...before,
          count: before.count + 1,
          last: before.last + 1,
        });

        const [mine, ...more] = await client.over(after.last);
        expect(more, `OVER ${after.last}: one line`).toEqual([]);
        expect(mine, `OVER ${after.last}: the fields of the article just posted`).toMatchObject({
          number: after.last,
          subject,
          from: "Spec <spec@example.com>",
          messageId,
          references: [],
          lines: 1,
        });
        const all = await client.over(`${after.first}-`);
        expect(all.length, `OVER ${after.first}-: one line per article`).toBe(after.count);
        expect(all.at(-1)?.messageId, "the last OVER line is the new article").toBe(messageId);
        const seedReply = all.find((overview) => overview.references.length >= 2);
        expect(seedReply?.references.every((id) => /^<[^<>\s]+>$/.test(id)), "References: a list of <message-ids>").toBe(true);

        const subjects = await client.xhdr("Subject", `${after.first}-${after.last}`);
        expect(subjects.length, "XHDR Subject: one line per article").toBe(after.count);
        expect(subjects.at(-1), "XHDR Subject: the new article's line").toEqual({ number: after.last, value: subject });
        await client.quit();
      },
    },
    {
      name: "411/423 reject with an NntpError carrying the server's line and code; the connection stays usable",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient }, network) {
        const news = await startNews(network);
        const client = await NntpClient.connect("127.0.0.1", await network.tcp(news.port));
        const missingGroup = `no.such.group.${freshWord()}`;
        const noGroup = await expectRejects(client.group(missingGroup), `group("${missingGroup}")`);
        expect(noGroup.message, "the error carries the server's line").toMatch(/\b411 \S/);
        expect((noGroup as solution.NntpError).code, "the error's code").toBe(411);

        const { last } = await client.group("comp.lang.python");
        const noArticle = await expectRejects(client.body(last + 1000), `body(${last + 1000})`);
        expect(noArticle.message, "the error carries the server's line").toMatch(/\b423 \S/);
        expect((noArticle as solution.NntpError).code, "the error's code").toBe(423);
        expect((await client.stat(last)).number, "STAT after the errors: the connection still works").toBe(last);
        await client.quit();
      },
    },
    {
      name: "login: AUTHINFO USER/PASS (RFC 4643); a wrong password rejects with 481, and never shows the password",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient }, network) {
        const news = await startNews(network);
        const port = await network.tcp(news.port);
        const wrong = await NntpClient.connect("127.0.0.1", port);
        const secret = `Wr0ng-${freshWord()}`;
        const err = await expectRejects(wrong.login("me", secret), "login() with a wrong password");
        expect(err.message, "the error carries the server's line").toMatch(/\b481 \S/);
        expect(err.message, "the error must not show the password").not.toContain(secret);
        await wrong.quit();

        const client = await NntpClient.connect("127.0.0.1", port);
        await client.login("me", "secret");
        expect((await client.group("playground.test")).name, "GROUP after logging in").toBe("playground.test");
        await client.quit();
      },
    },
    {
      name: "firstAndLatest (17-12): the first and latest articles that EXIST, when GROUP's bounds have expired",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient, firstAndLatest }, network) {
        const news = await startNews(network);
        const ids = [freshMessageId(), freshMessageId(), freshMessageId()];
        const numbers: number[] = [];
        for (const messageId of ids) {
          numbers.push(await postDirect(news, { group: "playground.test", subject: freshWord(), messageId, body: ["x"] }));
        }
        let direct = await news.direct();
        const { first } = await direct.group("playground.test");
        const cpy = await direct.group("comp.lang.python");
        await direct.quit();
        // The expire run removes the oldest article and, by a moderator's hand, the newest.
        await news.expire("playground.test", [first, numbers[2]!]);
        direct = await news.direct();
        const bounds = await direct.group("playground.test");
        const expectedFirst = await direct.stat(); // after GROUP: the first article present
        await direct.quit();
        expect(bounds.last, "(the server still reports the expired article's number as the high water mark)").toBe(numbers[2]);

        const client = await NntpClient.connect("127.0.0.1", await network.tcp(news.port));
        const found = await firstAndLatest(client as never, "playground.test");
        expect(found.latest, "latest: the last article that still exists").toEqual({ number: numbers[1], messageId: ids[1] });
        expect(found.first.number, "first: the first article that still exists").toBe(expectedFirst.number);
        expect(found.first.number, "first: not the expired one").not.toBe(first);
        const python = await firstAndLatest(client as never, "comp.lang.python");
        expect(python.first.number, "comp.lang.python's first article (its numbers do not start at 1)").toBe(cpy.first);
        expect(python.latest.number, "comp.lang.python's latest article").toBe(cpy.last);
        await client.quit();
      },
    },
    {
      name: "OVER + buildThreads on a thread posted to the server, with an expired parent",
      network: true,
      timeoutMs: NETWORK_TIMEOUT,
      async run({ NntpClient, buildThreads }, network) {
        const news = await startNews(network);
        const topic = freshWord();
        const [root, reply, expired, late] = [freshMessageId(), freshMessageId(), freshMessageId(), freshMessageId()];
        const post = (messageId: string, references: string[]) =>
          postDirect(news, { group: "playground.test", subject: references.length ? `Re: ${topic}` : topic, messageId, references, body: [topic] });
        const rootNumber = await post(root, []);
        await post(reply, [root]);
        const expiredNumber = await post(expired, [root, reply]);
        await post(late, [root, reply, expired]);
        await news.expire("playground.test", [expiredNumber]);

        const client = await NntpClient.connect("127.0.0.1", await network.tcp(news.port));
        const { first } = await client.group("playground.test");
        const threads = buildThreads(await client.over(`${first}-`));
        await client.quit();
        const mine = threads.find((thread) => thread.article.messageId === root);
        expect(mine?.article.number, "the new thread's root").toBe(rootNumber);
        const ids = (thread: solution.Thread<{ messageId: string }>): unknown => ({
          id: thread.article.messageId,
          replies: thread.replies.map(ids),
        });
        expect(ids(mine!), "root → reply → the late reply (its direct parent expired)").toEqual({
          id: root,
          replies: [{ id: reply, replies: [{ id: late, replies: [] }] }],
        });
      },
    },
  ],
});
