// Passkeys (WebAuthn) with @simplewebauthn/server: registration for a signed-in user, and sign-in
// by username or by a discoverable credential. A passkey sign-in with user verification is two
// factors by itself (something held, and the PIN or biometric that unlocked it), so it passes the
// MFA gate with amr ["webauthn"].
//
// Challenges are single use and live five minutes: each is stored (as a hash) when its options are
// handed out and deleted by the one request that presents it, whatever the outcome. Signature
// counters must grow: the stored one is replaced only by a larger one, compare-and-set, so a
// cloned authenticator or a replayed assertion shows itself.
import { createHash, createHmac } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { z } from 'zod';
import { ForbiddenError, InvalidInputError, UnauthenticatedError } from '../auth/errors';
import type { SignInClient, SignIns, TokenPair } from '../auth/sign-in';
import type { Clock } from '../clock';
import type { WebAuthnConfig } from '../config';
import type { Database } from '../db/database';
import { onFirstUse } from '../first-use';

export const CHALLENGE_TTL_SECONDS = 5 * 60;

/**
 * @simplewebauthn/server, loaded on the first passkey request: with its ASN.1 and X.509 code it is
 * the largest library of the service, and most instances never see a passkey (bench/README.md).
 */
const webauthn = onFirstUse(() => import('@simplewebauthn/server'));

type ChallengeKind = 'registration' | 'signin';

const MAX_NAME_LENGTH = 100;
const MAX_PASSKEYS_PER_USER = 20;
const SIGNIN_REFUSED = 'The passkey could not be verified.';

// The browser's JSON (what @simplewebauthn/browser's startRegistration/startAuthentication
// return), checked for shape before the library looks inside. Lengths bound what a caller can
// make the service decode.
const b64url = (max: number) => z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');
const registrationResponse = z.object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(65536),
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});
const authenticationResponse = z.object({
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(8192),
    signature: b64url(1024),
    userHandle: b64url(512).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

function hashChallenge(challenge: string): string {
  return createHash('sha256').update(challenge).digest('base64url');
}

/** The challenge the browser signed, read from clientDataJSON; `undefined` when unreadable. */
function signedChallenge(clientDataJSON: string): string | undefined {
  try {
    const data: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (data as { challenge?: unknown }).challenge;
    return typeof challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : undefined;
  } catch {
    return undefined;
  }
}

export interface PasskeyDeps {
  db: Database;
  clock: Clock;
  signIns: SignIns;
  webauthn: WebAuthnConfig;
  /** Derives stable user handles and stand-in credential ids, so neither reveals a user id. */
  handleKey: Buffer;
}

export class Passkeys {
  private readonly db: Database;
  private readonly clock: Clock;
  private readonly signIns: SignIns;
  private readonly rp: WebAuthnConfig;
  private readonly handleKey: Buffer;

  constructor(deps: PasskeyDeps) {
    this.db = deps.db;
    this.clock = deps.clock;
    this.signIns = deps.signIns;
    this.rp = deps.webauthn;
    this.handleKey = deps.handleKey;
  }

  /** Options for navigator.credentials.create(): a discoverable credential with user verification. */
  async registrationOptions(userId: number): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.db.prisma.user.findUnique({
      where: { id: userId },
      select: { username: true, email: true, passkeys: { select: { id: true, transports: true } } },
    });
    if (!user) throw new ForbiddenError('The account no longer exists.');
    if (user.passkeys.length >= MAX_PASSKEYS_PER_USER) throw new ForbiddenError(`At most ${MAX_PASSKEYS_PER_USER} passkeys per account.`);
    const options = await (await webauthn()).generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userName: user.username,
      userDisplayName: user.email,
      userID: new Uint8Array(this.derive(`user:${userId}`)),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
      attestationType: 'none',
      // The authenticator refuses to make a second passkey for an account it already holds one of.
      excludeCredentials: user.passkeys.map((p) => ({ id: p.id, transports: p.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.storeChallenge(options.challenge, 'registration', userId);
    return options;
  }

  /** Verifies the browser's answer to registrationOptions and keeps the new passkey. */
  async register(userId: number, credential: unknown, name?: string | null): Promise<void> {
    const parsed = registrationResponse.safeParse(credential);
    if (!parsed.success) throw new InvalidInputError({ credential: ['This is not a WebAuthn registration response.'] });
    const label = name?.trim() || null;
    if (label && label.length > MAX_NAME_LENGTH) throw new InvalidInputError({ name: [`Ensure this field has no more than ${MAX_NAME_LENGTH} characters.`] });
    const response = parsed.data as RegistrationResponseJSON;

    const challenge = await this.consumeChallenge(response.response.clientDataJSON, 'registration');
    if (!challenge || challenge.userId !== userId) {
      throw new InvalidInputError({ credential: ['The registration options were already used or have expired: ask for new ones.'] });
    }
    let verification;
    try {
      verification = await (await webauthn()).verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        requireUserVerification: true,
      });
    } catch (error) {
      throw new InvalidInputError({ credential: [`The passkey could not be verified: ${(error as Error).message}`] });
    }
    if (!verification.verified) throw new InvalidInputError({ credential: ['The passkey could not be verified.'] });
    const info = verification.registrationInfo;
    const created = await this.db.prisma.userPasskey.createMany({
      data: {
        id: info.credential.id,
        userId,
        name: label,
        publicKey: new Uint8Array(info.credential.publicKey),
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        createdAt: this.clock.now(),
      },
      // A credential id is the authenticator's: registered already (here or to another account) is refused below.
      skipDuplicates: true,
    });
    if (created.count !== 1) throw new InvalidInputError({ credential: ['This passkey is registered already.'] });
  }

  /**
   * Options for navigator.credentials.get(). Without a username: any discoverable passkey of this
   * site. With one: that account's passkeys — and for an unknown account, or one without passkeys,
   * a made-up credential derived from the name, so the answer looks the same either way.
   */
  async signinOptions(username?: string | null): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const login = username?.trim();
    let userId: number | null = null;
    let allow: { id: string; transports?: string[] }[] | undefined;
    if (login) {
      if (login.length > 254) throw new InvalidInputError({ username: ['Ensure this field has no more than 254 characters.'] });
      const select = { id: true, isActive: true, passkeys: { select: { id: true, transports: true } } } as const;
      // An exact username wins over another account's email, as at login.
      const user =
        (await this.db.prisma.user.findUnique({ where: { username: login }, select })) ??
        (await this.db.prisma.user.findUnique({ where: { email: login }, select }));
      if (user?.isActive && user.passkeys.length) {
        userId = user.id;
        allow = user.passkeys.map((p) => ({ id: p.id, transports: p.transports }));
      } else {
        allow = [{ id: this.derive(`nobody:${login.toLowerCase()}`).toString('base64url'), transports: ['internal', 'hybrid'] }];
      }
    }
    const options = await (await webauthn()).generateAuthenticationOptions({
      rpID: this.rp.rpId,
      allowCredentials: allow,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_SECONDS * 1000,
    });
    await this.storeChallenge(options.challenge, 'signin', userId);
    return options;
  }

  /** Verifies an assertion and signs its user in: tokens with amr ["webauthn"]. */
  async signIn(credential: unknown, client: SignInClient = {}): Promise<TokenPair> {
    const parsed = authenticationResponse.safeParse(credential);
    if (!parsed.success) throw new InvalidInputError({ credential: ['This is not a WebAuthn authentication response.'] });
    const response = parsed.data as AuthenticationResponseJSON;

    const challenge = await this.consumeChallenge(response.response.clientDataJSON, 'signin');
    if (!challenge) throw new UnauthenticatedError('The sign-in options were already used or have expired: ask for new ones.');
    const passkey = await this.db.prisma.userPasskey.findUnique({ where: { id: response.id } });
    // A sign-in that named a user accepts only that user's passkeys.
    if (!passkey || (challenge.userId !== null && passkey.userId !== challenge.userId)) throw new UnauthenticatedError(SIGNIN_REFUSED);

    let verification;
    try {
      verification = await (await webauthn()).verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        credential: {
          id: passkey.id,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: Number(passkey.counter),
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch {
      // Wrong origin, RP, signature, a counter that went back, no user verification…: one answer.
      throw new UnauthenticatedError(SIGNIN_REFUSED);
    }
    if (!verification.verified || !verification.authenticationInfo.userVerified) throw new UnauthenticatedError(SIGNIN_REFUSED);

    // Compare-and-set on the counter just verified against: of two sign-ins racing with
    // assertions from one authenticator, only one moves it.
    const { count } = await this.db.prisma.userPasskey.updateMany({
      where: { id: passkey.id, counter: passkey.counter },
      data: { counter: verification.authenticationInfo.newCounter, lastUsedAt: this.clock.now() },
    });
    if (count !== 1) throw new UnauthenticatedError(SIGNIN_REFUSED);

    const user = await this.signIns.activeUser(passkey.userId);
    if (!user) throw new UnauthenticatedError(SIGNIN_REFUSED);
    return this.signIns.complete(user, ['webauthn'], client);
  }

  private derive(label: string): Buffer {
    return createHmac('sha256', this.handleKey).update(label).digest();
  }

  private async storeChallenge(challenge: string, kind: ChallengeKind, userId: number | null): Promise<void> {
    const now = this.clock.now();
    await this.db.prisma.$transaction([
      this.db.prisma.webauthnChallenge.deleteMany({ where: { expiresAt: { lte: now } } }),
      this.db.prisma.webauthnChallenge.create({
        data: { challengeHash: hashChallenge(challenge), kind, userId, expiresAt: new Date(now.getTime() + CHALLENGE_TTL_SECONDS * 1000) },
      }),
    ]);
  }

  /**
   * The live challenge the response signed, deleted so it can never serve again. Of two requests
   * presenting one challenge, only the one whose DELETE removes the row gets it.
   */
  private async consumeChallenge(clientDataJSON: string, kind: ChallengeKind): Promise<{ challenge: string; userId: number | null } | undefined> {
    const challenge = signedChallenge(clientDataJSON);
    if (!challenge) return undefined;
    const challengeHash = hashChallenge(challenge);
    const row = await this.db.prisma.webauthnChallenge.findUnique({ where: { challengeHash } });
    if (!row || row.kind !== kind) return undefined;
    const { count } = await this.db.prisma.webauthnChallenge.deleteMany({ where: { challengeHash } });
    if (count !== 1 || row.expiresAt.getTime() <= this.clock.now().getTime()) return undefined;
    return { challenge, userId: row.userId };
  }
}
