// A real OpenID provider (panva's certified oidc-provider) for the sign-in browser tests, on plain
// HTTP over loopback. Its built-in development pages ask for a login (an e-mail address below; any
// password) and then for consent.
//
//   OIDC_CLIENT_SECRET=... CAIRN_URL=http://127.0.0.1:3000 node oidc/provider.mjs [port]
//
// Port 0 (the default) takes a free one. Prints "oidc provider running at <issuer>" when ready.
// The client secret comes from the environment so it is never written to the repository or a log.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import Provider from "oidc-provider";

import { findAccount } from "./accounts.mjs";

const port = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 0);
const cairnUrl = (process.env.CAIRN_URL ?? "").replace(/\/$/, "");
const clientSecret = process.env.OIDC_CLIENT_SECRET;
if (!cairnUrl || !clientSecret) {
  console.error("provider.mjs needs CAIRN_URL (the portal's base URL) and OIDC_CLIENT_SECRET");
  process.exit(2);
}

// Listen first: the issuer names the port actually taken.
const server = createServer();
server.listen(port, "127.0.0.1");
await once(server, "listening");
const issuer = `http://127.0.0.1:${server.address().port}`;

// Fresh signing keys each start, instead of the library's shared development keys.
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "cairn-e2e",
      client_secret: clientSecret,
      redirect_uris: [`${cairnUrl}/api/auth/oidc/callback`],
      post_logout_redirect_uris: [`${cairnUrl}/`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  pkce: { methods: ["S256"], required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // Many providers (Keycloak, Entra ID, Google) put the scopes' claims in the ID token too;
  // OIDC_CONFORM_ID_TOKEN_CLAIMS=1 keeps them for the userinfo endpoint only, as the spec allows.
  conformIdTokenClaims: process.env.OIDC_CONFORM_ID_TOKEN_CLAIMS === "1",
  findAccount,
  jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), use: "sig", alg: "RS256" }] },
  cookies: {
    keys: [randomBytes(32).toString("base64url")],
    // SameSite=None (the default) needs Secure, which plain HTTP cannot have: the browser would drop them.
    long: { signed: true, httpOnly: true, sameSite: "lax" },
    short: { signed: true, httpOnly: true, sameSite: "lax" },
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
});

server.on("request", provider.callback());
console.log(`oidc provider running at ${issuer}`);

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
