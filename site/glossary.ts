// Chinese names of the networking words the lessons use. The lessons are written in English, but the
// syllabus comes from Chinese tutorials (liaoxuefeng, Core Python Programming ch. 17), and a learner
// may well search for 端口 rather than "port". Each search section gets, in its own field, the
// Chinese words for the English terms it uses — as often as it uses them, so the section that talks
// most about ports comes first for 端口.

const GLOSSARY: Record<string, string[]> = {
  port: ["端口"],
  address: ["地址"],
  socket: ["套接字"],
  server: ["服务器"],
  client: ["客户端"],
  connection: ["连接"],
  "half-close": ["半关闭"],
  handshake: ["握手"],
  "byte stream": ["字节流"],
  stream: ["流"],
  framing: ["分帧", "粘包"],
  frame: ["帧"],
  datagram: ["数据报"],
  packet: ["数据包"],
  timeout: ["超时"],
  retry: ["重试"],
  loss: ["丢包"],
  listen: ["监听"],
  loopback: ["回环"],
  protocol: ["协议"],
  network: ["网络"],
  encoding: ["编码"],
  backpressure: ["背压"],
  mail: ["邮件"],
  email: ["电子邮件"],
  attachment: ["附件"],
  mailbox: ["邮箱"],
  "file transfer": ["文件传输"],
  download: ["下载"],
  upload: ["上传"],
  directory: ["目录"],
  password: ["密码"],
  newsgroup: ["新闻组"],
  spam: ["垃圾邮件"],
  phishing: ["钓鱼", "网络钓鱼"],
  thread: ["线程"],
  exercise: ["练习"],
  hint: ["提示"],
};

const PATTERNS = Object.entries(GLOSSARY).map(([english, chinese]) => ({
  // "port" also matches "ports", but not "report" or "important"
  pattern: new RegExp(`\\b${english.replace(/[-\s]/g, "[-\\s]")}(?:s|es)?\\b`, "gi"),
  chinese,
}));

/** The Chinese words for the terms in `text`, each repeated as often as its term occurs (at most 6). */
export function chineseKeywords(text: string): string {
  const words: string[] = [];
  for (const { pattern, chinese } of PATTERNS) {
    const count = Math.min(6, text.match(pattern)?.length ?? 0);
    for (let i = 0; i < count; i++) words.push(...chinese);
  }
  return words.join(" ");
}
