/**
 * Where the stack is, as the page learns it: `/config.json` next to the app. The local stack
 * (`make dev`) serves its stack.json there; a deployed app gets one made from the stack's
 * outputs. Nobody configures the app by hand.
 */
import { parseStackConfig, type StackConfig } from "../auth/stack";

export async function loadConfig(url = "/config.json"): Promise<StackConfig> {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseStackConfig(await response.json());
}

/** The local stack's page of verification codes (no mail or SMS goes out locally). */
export function outboxUrl(config: StackConfig): string | undefined {
  return config.awsEndpoint === undefined ? undefined : `${config.awsEndpoint.replace(/\/$/, "")}/_devstack/outbox`;
}
