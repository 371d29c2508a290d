// Queries a learner might type, and the lesson each must find in the top 3 results: checked in Node
// against the built index (built-site.test.ts) and in the browser's search box (browser.test.ts).
export const SEARCH_QUERIES: [query: string, lesson: string][] = [
  ["half-close", "03-tcp-server"],
  ["UDP", "05-udp"],
  ["framing", "04-framing"],
  ["ephemeral port", "01-addresses-and-ports"],
  ["Connection: close", "02-tcp-client"],
  ["backpressure drain", "04-framing"],
  ["npm run hint", "00-getting-started"],
  ["端口", "01-addresses-and-ports"], // Chinese "port", through the glossary
  ["数据报", "05-udp"], // Chinese "datagram"
  ["TCP编程", "02-tcp-client"], // liaoxuefeng's page title, in the text itself
  ["NNTP", "13-network-news"],
  ["新闻组", "13-network-news"], // Chinese "newsgroup"
  ["钓鱼", "14-spam-forensics"], // Chinese "phishing"
];
