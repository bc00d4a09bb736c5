// jose, loaded with the first asymmetric key or token: the default HS* deployments sign with
// jsonwebtoken and never need it, and the modules of a library not run are memory kept for
// nothing (bench/README.md). Provider sign-in (openid-client) brings its own copy when used.
import { onFirstUse } from '../first-use';

export const jose = onFirstUse(() => import('jose'));
