// The anonymous FTP area's sample content, written once, at the playground's first start.
// It looks like a small public download site, because that is what the FTP exercises
// practise on:
//
//   pub/
//     README.txt
//     releases/                 "download the latest release" (exercise 17-1)
//       tool-1.2.0.tar.gz         real gzip'd tar archives; the newest is 1.10.0, which a
//       tool-1.9.2.tar.gz         name sort puts BEFORE 1.9.2 — compare versions as numbers
//       tool-1.10.0.tar.gz
//       tool-0.9.0.tar.gz
//       CHANGELOG.txt
//       SHA256SUMS.txt            checksums, to verify a download
//     docs/                     patterns like doc*.pdf (exercises 17-2, 17-8)
//       doc-intro.pdf  doc-protocol.pdf  doc-faq.pdf  guide.pdf  notes.txt  readme-first.txt
//     scripts/                  patterns like *.py
//       hello.py  fetch.py  backup.py  install.exe  notes.txt
//     projects/                 nested folders for recursive mirroring (17-7, 17-10)
//       alpha/README.txt  alpha/src/main.py  alpha/src/util.py  alpha/docs/doc-alpha.pdf  alpha/build/alpha.exe
//       beta/beta.py  beta/data/readings.txt  beta/data/2024/january.txt  beta/data/2024/february.txt
//     large/
//       big-file.bin            random bytes, `bigFileBytes` long: for progress bars (17-3)
//
// The .exe files are placeholders (a line of text), never programs. Everything except
// big-file.bin is the same on every machine, so lessons can show exact sizes and checksums.

import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { once } from "node:events";
import { gzipSync } from "node:zlib";

/** The versions in releases/, oldest first. */
export const RELEASE_VERSIONS = ["0.9.0", "1.2.0", "1.9.2", "1.10.0"];
/** Where the large file lives, relative to pub/. */
export const BIG_FILE = "large/big-file.bin";
export const DEFAULT_BIG_FILE_BYTES = 40 * 1024 * 1024;
const SITE_DATE = new Date("2024-06-01T12:00:00Z");

/**
 * Writes the sample tree into `pubDir` unless it exists already. It is built in a
 * temporary folder next to it and renamed into place, so an interrupted first start
 * never leaves half a tree behind (the next start simply builds it again).
 */
export async function seedPublicFiles(pubDir: string, bigFileBytes = DEFAULT_BIG_FILE_BYTES): Promise<boolean> {
  if (await exists(pubDir)) return false;
  const building = `${pubDir}.seeding-${process.pid}`;
  await rm(building, { recursive: true, force: true });
  for (const [path, content, date] of sampleFiles()) await put(join(building, path), content, date);
  await writeBigFile(join(building, BIG_FILE), bigFileBytes);
  // Folders get a date too, or listings would show the moment of the first start.
  const folders = new Set(sampleFiles().map(([path]) => dirname(path)).concat(dirname(BIG_FILE)));
  for (const folder of folders) for (let f = folder; f !== "."; f = dirname(f)) await utimes(join(building, f), SITE_DATE, SITE_DATE);
  await utimes(building, SITE_DATE, SITE_DATE);
  await rename(building, pubDir);
  return true;
}

/** [path inside pub/, content, modification date] for every small file. */
export function sampleFiles(): [string, Buffer, string][] {
  const files: [string, Buffer, string][] = [];
  const add = (path: string, content: string | Buffer, date: string) => files.push([path, Buffer.from(content), date]);

  add("README.txt", readme(), "2024-06-01");

  // Releases: dated in version order, as a real project would publish them.
  const dates = ["2023-03-14", "2023-11-02", "2024-02-20", "2024-05-28"];
  const sums: string[] = [];
  RELEASE_VERSIONS.forEach((version, i) => {
    const archive = releaseArchive(version, dates[i]);
    add(`releases/tool-${version}.tar.gz`, archive, dates[i]);
    sums.push(`${createHash("sha256").update(archive).digest("hex")}  tool-${version}.tar.gz`);
  });
  add("releases/CHANGELOG.txt", RELEASE_VERSIONS.map((v, i) => `${v} (${dates[i]}): ${CHANGES[i]}`).reverse().join("\n") + "\n", "2024-05-28");
  add("releases/SHA256SUMS.txt", sums.join("\n") + "\n", "2024-05-28");

  add("docs/doc-intro.pdf", tinyPdf("Introduction to the tool"), "2024-01-10");
  add("docs/doc-protocol.pdf", tinyPdf("The protocol, step by step"), "2024-02-11");
  add("docs/doc-faq.pdf", tinyPdf("Frequently asked questions"), "2024-03-12");
  add("docs/guide.pdf", tinyPdf("User guide (not a doc*.pdf!)"), "2024-03-30");
  add("docs/notes.txt", "Meeting notes: ship 1.10.0 before the summer.\n", "2024-04-02");
  add("docs/readme-first.txt", "The doc-*.pdf files are the manual; guide.pdf is the short version.\n", "2024-04-03");

  add("scripts/hello.py", 'print("Hello from the playground FTP server!")\n', "2024-01-05");
  add("scripts/fetch.py", FETCH_PY, "2024-02-06");
  add("scripts/backup.py", BACKUP_PY, "2024-03-07");
  add("scripts/install.exe", placeholderExe("install.exe"), "2024-03-08");
  add("scripts/notes.txt", "Only the .py files are scripts; install.exe is a placeholder.\n", "2024-03-09");

  add("projects/alpha/README.txt", "Project alpha: a tiny example project for mirroring.\n", "2024-04-01");
  add("projects/alpha/src/main.py", "from util import greet\n\ngreet('alpha')\n", "2024-04-02");
  add("projects/alpha/src/util.py", "def greet(name):\n    print(f'hello, {name}')\n", "2024-04-02");
  add("projects/alpha/docs/doc-alpha.pdf", tinyPdf("Project alpha"), "2024-04-03");
  add("projects/alpha/build/alpha.exe", placeholderExe("alpha.exe"), "2024-04-04");
  add("projects/beta/beta.py", "import sys\nprint(sys.version)\n", "2024-05-01");
  add("projects/beta/data/readings.txt", "day,celsius\n1,18.5\n2,19.0\n3,17.25\n", "2024-05-02");
  add("projects/beta/data/2024/january.txt", "January: quiet month.\n", "2024-02-01");
  add("projects/beta/data/2024/february.txt", "February: release 1.9.2 shipped.\n", "2024-03-01");
  return files;
}

const CHANGES = [
  "first public preview",
  "faster downloads, new --verbose flag",
  "bug fixes for slow networks",
  "resumable transfers; two-digit minor version!",
];

function readme(): string {
  return `Welcome to the Socket Playground's public FTP area.

You are logged in anonymously: you may look and download, not upload or delete.
(Log in as "me" with password "secret" to get a folder you can write to.)

  releases/   versioned archives of "tool" - which one is the newest?
  docs/       PDFs and text files (try the pattern doc*.pdf)
  scripts/    Python scripts and other files (try *.py)
  projects/   nested folders, for mirroring a whole tree
  large/      one big file, to watch a progress bar
`;
}

const FETCH_PY = `from ftplib import FTP

with FTP() as ftp:
    ftp.connect("127.0.0.1", 2121)
    ftp.login()  # anonymous
    ftp.cwd("releases")
    print(ftp.nlst())
`;

const BACKUP_PY = `import shutil
import sys

shutil.make_archive("backup", "zip", sys.argv[1] if len(sys.argv) > 1 else ".")
`;

function placeholderExe(name: string): string {
  return `${name}: a placeholder, not a program. It exists so that *.exe patterns have something to match.\n`;
}

/** A release: a real .tar.gz holding tool-VERSION/{README.txt,VERSION,tool.py}. */
function releaseArchive(version: string, date: string): Buffer {
  const mtime = Math.floor(Date.parse(`${date}T12:00:00Z`) / 1000);
  const dir = `tool-${version}`;
  const tar = Buffer.concat([
    tarEntry(`${dir}/README.txt`, `tool ${version}\n\nUnpack with: tar xzf tool-${version}.tar.gz\n`, mtime),
    tarEntry(`${dir}/VERSION`, `${version}\n`, mtime),
    tarEntry(`${dir}/tool.py`, `VERSION = "${version}"\n\nprint("tool", VERSION)\n`, mtime),
    Buffer.alloc(1024), // two empty blocks end a tar archive
  ]);
  // mtime 0 in the gzip header keeps the archive byte-for-byte the same on every machine.
  return gzipSync(tar, { level: 9 });
}

/** One file in a POSIX (ustar) tar archive: a 512-byte header, then the data padded to 512. */
function tarEntry(name: string, text: string, mtime: number): Buffer {
  const data = Buffer.from(text);
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, "ascii");
  const octal = (offset: number, length: number, value: number) => field(offset, length, value.toString(8).padStart(length - 1, "0"));
  field(0, 100, name);
  octal(100, 8, 0o644); // mode
  octal(108, 8, 0); // uid
  octal(116, 8, 0); // gid
  octal(124, 12, data.length);
  octal(136, 12, mtime);
  field(148, 8, "        "); // the checksum counts its own field as spaces
  field(156, 1, "0"); // a regular file
  field(257, 6, "ustar");
  field(263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding]);
}

/** The smallest valid one-page PDF showing `title`, with a correct cross-reference table. */
function tinyPdf(title: string): Buffer {
  const text = title.replace(/[()\\]/g, "\\$&");
  const stream = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

async function put(path: string, content: Buffer, date: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
  const time = new Date(`${date}T12:00:00Z`);
  await utimes(path, time, time);
}

/** Random bytes (they do not compress, like a real video or disk image), in 1 MiB pieces. */
async function writeBigFile(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const file = createWriteStream(path);
  for (let left = bytes; left > 0; left -= 1024 * 1024) {
    if (!file.write(randomBytes(Math.min(left, 1024 * 1024)))) await once(file, "drain");
  }
  file.end();
  await once(file, "close");
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
