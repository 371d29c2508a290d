// Wrong answer: leaves the control connection open when the login fails (530)
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { Client } from "basic-ftp";

export async function openClient(url: string): Promise<Client> {
  const { protocol, hostname, port, username, password } = new URL(url);
  if (protocol !== "ftp:") throw new Error(`not an ftp:// URL: ${url}`);
  const client = new Client(10_000);
  await client.access({
    host: hostname,
    port: port === "" ? 21 : Number(port),
    user: username === "" ? "anonymous" : decodeURIComponent(username),
    password: username === "" ? "learner@example.com" : decodeURIComponent(password),
  });
  return client;
}
