// A real OpenID Connect provider for the single sign-on tests: panva's oidc-provider (OpenID
// Certified) with two confidential clients and the accounts the tests pass in, listening on a
// loopback port. It signs with the package's fixed development keys, so two instances on two
// ports share keys and differ only by issuer. Its development interactions (a sign-in form that accepts any known account
// id, then a consent form) are plain HTML forms that the tests fill over HTTP.
//
// Environment: OIDC_TEST_PORT, OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET,
// OIDC_TEST_REDIRECT_URIS (JSON list), OIDC_TEST_ACCOUNTS (JSON: {sub: {email, email_verified, name}}).
import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const port = Number(env('OIDC_TEST_PORT'));
const accounts = JSON.parse(env('OIDC_TEST_ACCOUNTS'));
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  // The app's client, and another application's (whose ID tokens the app must not accept).
  clients: [
    [env('OIDC_TEST_CLIENT_ID'), env('OIDC_TEST_CLIENT_SECRET')],
    ['another-application', 'another-application-secret'],
  ].map(([clientId, secret]) => ({
    client_id: clientId,
    client_secret: secret,
    redirect_uris: JSON.parse(env('OIDC_TEST_REDIRECT_URIS')),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  pkce: { required: () => true },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['only-for-tests'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, async claims() { return { sub, ...account }; } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
