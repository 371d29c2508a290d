// Wrong answer: uses the URL's user and password without decodeURIComponent ("p%40ss" stays encoded)
export * from "../../../lessons/12-ftp-tools/solution.ts";
import { Client } from "basic-ftp";

export async function openClient(url: string): Promise<Client> {
  const { protocol, hostname, port, username, password } = new URL(url);
  if (protocol !== "ftp:") throw new Error(`not an ftp:// URL: ${url}`);
  const client = new Client(10_000);
  try {
    await client.access({
      host: hostname,
      port: port === "" ? 21 : Number(port),
      user: username === "" ? "anonymous" : username,
      password: username === "" ? "learner@example.com" : password,
    });
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}
