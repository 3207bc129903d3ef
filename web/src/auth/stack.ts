/**
 * Where a Parley stack is, as the page learns it: the fields of `.devstack/stack.json` locally
 * (or a deployed stack's outputs). Only what the browser needs.
 */
export interface StackConfig {
  websocketUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Set for the local stack (moto); absent for a deployed stack (real Cognito). */
  awsEndpoint?: string;
}

export function parseStackConfig(value: unknown): StackConfig {
  if (typeof value !== "object" || value === null) throw new Error("stack config: not an object");
  const v = value as Record<string, unknown>;
  const field = (name: string): string => {
    const f = v[name];
    if (typeof f !== "string" || f === "") throw new Error(`stack config: missing ${name}`);
    return f;
  };
  return {
    websocketUrl: field("websocketUrl"),
    region: field("region"),
    userPoolId: field("userPoolId"),
    userPoolClientId: field("userPoolClientId"),
    ...(typeof v.awsEndpoint === "string" && v.awsEndpoint !== "" ? { awsEndpoint: v.awsEndpoint } : {}),
  };
}
