// Before the suite: one invitation made now, so that by the time the resend test
// (the last file) runs, the cooldown since its send (RESEND_COOLDOWN_SECONDS, 60 s)
// has passed and the API offers `resend` on it. Passed on to the tests in the
// environment, as Playwright's global setup does.
import { apiInvite, freshAddress } from "./stack";

export default async function globalSetup(): Promise<void> {
  const inv = await apiInvite(freshAddress("resend"));
  process.env.RESEND_INVITATION = JSON.stringify({ id: inv.id, email: inv.email, link: inv.link });
  // One to let expire and renew (6-resend.spec.ts): its cooldown, too, has passed by then.
  const renew = await apiInvite(freshAddress("renew"));
  process.env.RENEW_INVITATION = JSON.stringify({ id: renew.id, email: renew.email, link: renew.link });
}
