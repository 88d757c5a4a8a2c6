// The provider's people. The login typed on its sign-in page is the account id: an e-mail address.
// Two are User entities of the demo catalog (catalog/demo/northwind/org/users.yaml); the last is not.
export const ACCOUNTS = {
  "maya.okafor@northwind.example": { name: "Maya Okafor" },
  "daniel.reyes@northwind.example": { name: "Daniel Reyes" },
  "robin.outsider@example.org": { name: "Robin Outsider" },
};

/** oidc-provider's account lookup; an unknown login is asked for again. */
export async function findAccount(_ctx, id) {
  const person = ACCOUNTS[id];
  if (!person) return undefined;
  return {
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: true, name: person.name }),
  };
}
