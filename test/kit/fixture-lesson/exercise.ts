import type net from "node:net";
import { todo } from "../not-implemented.ts";

export function double(n: number): number {
  todo("double");
}

export async function startShoutServer(port: number): Promise<net.Server> {
  todo("startShoutServer");
}
