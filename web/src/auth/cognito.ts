/**
 * Accounts against the stack's Cognito user pool, through Amplify v6's auth category (a
 * maintained library; no hand-written SRP): sign up with an email address or a phone number,
 * confirm with the code, sign in, keep the tokens fresh, sign out.
 *
 * - Sign-in flow: `USER_SRP_AUTH` where the pool allows only SRP (the deployed default) and
 *   `USER_PASSWORD_AUTH` locally. Against the local stack (moto), SRP "works" only because
 *   moto accepts any proof: a wrong password would sign in, so the local default is password
 *   auth, which moto does check.
 * - The local stack is reached through Amplify's `userPoolEndpoint` (the stack's `awsEndpoint`).
 * - Amplify's `fetchAuthSession` refreshes tokens that are about to expire; on top of it a
 *   timer (refresh.ts) refreshes a few minutes before expiry, so a socket never has to open
 *   with a token on its last seconds.
 */
import { Amplify } from "@aws-amplify/core";
import { confirmSignUp, fetchAuthSession, resendSignUpCode, signIn, signOut, signUp } from "@aws-amplify/auth";
import { cognitoUserPoolsTokenProvider } from "@aws-amplify/auth/cognito";
import { systemClock, type Clock } from "../client/clock";
import type { TokenProvider } from "../client/connection";
import { RefreshScheduler } from "./refresh";
import type { StackConfig } from "./stack";

export type SignInFlow = "USER_SRP_AUTH" | "USER_PASSWORD_AUTH";

export interface Session {
  userId: string;
  idToken: string;
  expiresAtMs: number;
}

/** A sign-up address: an email, or a phone number in E.164 (`+` and digits). */
export function attributesFor(username: string): { email: string } | { phone_number: string } {
  return /^\+[1-9]\d{6,14}$/.test(username) ? { phone_number: username } : { email: username };
}

/** The account exists but was never confirmed: the user needs the code (or a new one). */
export class UnconfirmedError extends Error {
  constructor() {
    super("This account is not confirmed yet: enter the code we sent.");
  }
}

export class CognitoAuth {
  private readonly refresher: RefreshScheduler;
  readonly flow: SignInFlow;

  constructor(
    stack: StackConfig,
    options: { flow?: SignInFlow; clock?: Clock } = {},
  ) {
    // Locally, password auth (moto checks passwords, not SRP proofs); deployed, SRP.
    this.flow = options.flow ?? (stack.awsEndpoint !== undefined ? "USER_PASSWORD_AUTH" : "USER_SRP_AUTH");
    const auth = {
      Cognito: {
        userPoolId: stack.userPoolId,
        userPoolClientId: stack.userPoolClientId,
        ...(stack.awsEndpoint !== undefined ? { userPoolEndpoint: stack.awsEndpoint } : {}),
        loginWith: { email: true, phone: true },
        signUpVerificationMethod: "code" as const,
      },
    };
    // Configuring through @aws-amplify/core (not the whole aws-amplify package, to keep the
    // bundle small) leaves the token provider unwired: without these two lines sign-in fails
    // with "Auth UserPool not configured". Tokens are kept in localStorage (Amplify's default;
    // in memory where there is none, as in Node), so a reload stays signed in.
    cognitoUserPoolsTokenProvider.setAuthConfig(auth);
    Amplify.configure({ Auth: auth }, { Auth: { tokenProvider: cognitoUserPoolsTokenProvider } });
    this.refresher = new RefreshScheduler(options.clock ?? systemClock, async () => (await this.session(true))?.expiresAtMs);
  }

  /** Where the code went (`CodeDeliveryDetails`), if the pool says. */
  async signUp(username: string, password: string): Promise<{ confirmed: boolean; destination?: string }> {
    const result = await signUp({ username, password, options: { userAttributes: attributesFor(username) } });
    const details = result.nextStep.signUpStep === "CONFIRM_SIGN_UP" ? result.nextStep.codeDeliveryDetails : undefined;
    return {
      confirmed: result.isSignUpComplete,
      ...(details?.destination !== undefined ? { destination: details.destination } : {}),
    };
  }

  async confirm(username: string, code: string): Promise<void> {
    await confirmSignUp({ username, confirmationCode: code });
  }

  /** A fresh code for an unconfirmed account (the old one stops working). */
  async resendCode(username: string): Promise<void> {
    await resendSignUpCode({ username });
  }

  async signIn(username: string, password: string): Promise<Session> {
    const result = await signIn({ username, password, options: { authFlowType: this.flow } });
    if (result.nextStep.signInStep === "CONFIRM_SIGN_UP") throw new UnconfirmedError();
    if (!result.isSignedIn) throw new Error(`sign-in needs another step: ${result.nextStep.signInStep}`);
    const session = await this.session(false);
    if (session === undefined) throw new Error("signed in, but no tokens");
    return session;
  }

  /** The current session (refreshed by Amplify when near expiry), or undefined if signed out. */
  async session(forceRefresh: boolean): Promise<Session | undefined> {
    const { tokens, userSub } = await fetchAuthSession({ forceRefresh });
    const idToken = tokens?.idToken;
    const exp = idToken?.payload.exp;
    if (idToken === undefined || typeof exp !== "number") return undefined;
    const userId = userSub ?? String(idToken.payload.sub);
    const session = { userId, idToken: idToken.toString(), expiresAtMs: exp * 1000 };
    this.refresher.schedule(session.expiresAtMs);
    return session;
  }

  /** For the client library's Connection: the ID token, fresh when asked. */
  readonly tokenProvider: TokenProvider = async ({ forceRefresh }) => {
    const session = await this.session(forceRefresh);
    if (session === undefined) throw new Error("signed out");
    return session.idToken;
  };

  async signOut(): Promise<void> {
    this.refresher.cancel();
    await signOut();
  }
}
