// The GraphQL documents the tests send, written as a client of the original starter would. The
// source of truth is tests/operations/*.graphql; `npm run codegen` turns it into the typed
// documents re-exported here. The string forms serve `TestService.gql` and raw HTTP requests.
import { print } from 'graphql';
import {
  ChangePasswordDocument,
  LoginDocument,
  LoginMfaDocument,
  MfaDisableDocument,
  PasskeyRegisterDocument,
  PasskeyRegistrationOptionsDocument,
  PasskeySigninDocument,
  PasskeySigninOptionsDocument,
  LogoutDocument,
  RefreshDocument,
  RegisterDocument,
  ResetConfirmDocument,
  ResetDocument,
  ResetValidateDocument,
  SampleDocument,
  SigninCodeDocument,
  SigninIdTokenDocument,
  TotpEnableDocument,
  TotpSetupDocument,
} from '../generated/graphql';

export * from '../generated/graphql';

export const REGISTER = print(RegisterDocument);
export const LOGIN = print(LoginDocument);
export const REFRESH = print(RefreshDocument);
export const LOGOUT = print(LogoutDocument);
export const SAMPLE = print(SampleDocument);
export const CHANGE_PASSWORD = print(ChangePasswordDocument);
export const RESET = print(ResetDocument);
export const RESET_VALIDATE = print(ResetValidateDocument);
export const RESET_CONFIRM = print(ResetConfirmDocument);
export const SIGNIN_CODE = print(SigninCodeDocument);
export const SIGNIN_IDTOKEN = print(SigninIdTokenDocument);
export const TOTP_SETUP = print(TotpSetupDocument);
export const TOTP_ENABLE = print(TotpEnableDocument);
export const MFA_DISABLE = print(MfaDisableDocument);
export const LOGIN_MFA = print(LoginMfaDocument);
export const PASSKEY_REGISTRATION_OPTIONS = print(PasskeyRegistrationOptionsDocument);
export const PASSKEY_REGISTER = print(PasskeyRegisterDocument);
export const PASSKEY_SIGNIN_OPTIONS = print(PasskeySigninOptionsDocument);
export const PASSKEY_SIGNIN = print(PasskeySigninDocument);
