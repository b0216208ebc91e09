/**
 * My consent (the patient): grants as a table, a grant form, revoke, the deny mask, the access log and
 * break-glass openings. Every change is an EIP-712 signature of the patient (`ConsentClient.sign…`)
 * relayed by the relayer account (`relay…` through the SDK's `Relayer`): the patient holds no ether.
 * Tables are rebuilt from the ConsentManager's events (`patientConsentView`, `accessLogView`,
 * `emergencyAccessView`).
 */
import { formatEther } from "ethers";

import {
  type ActionName,
  categoryNames,
  ConsentClient,
  emergencyPolicyNames,
  purposeNames,
} from "../../../src/clients/consent.ts";
import {
  Action,
  Category,
  type CategoryName,
  EmergencyPolicy,
  Purpose,
  type PurposeName,
} from "../../../src/scopes.ts";
import {
  accessLogView,
  emergencyAccessView,
  grantState,
  isEmergencyAccessOverdue,
  patientConsentView,
} from "../../../src/views/consent.ts";
import type { Chain, SignerSource } from "../chain.ts";
import { errorText, formatDate, h, short, show, status, time } from "../dom.ts";

const DAY = 24n * 3600n;
const names = (list: string[]): string => (list.length === 0 ? "none" : list.join(", "));

export function consentPage(chain: Chain): HTMLElement {
  const client = new ConsentClient(chain.consent);
  const { patientId } = chain;
  const log = h("div", { id: "consent-status" });
  const header = h("div", { id: "patient-card", class: "card" });
  const grantsBox = h("div", { id: "grants" });
  const accessBox = h("div", { id: "access-log" });
  const emergencyBox = h("div", { id: "break-glass" });
  const denyBox = h("div", { id: "deny-mask" });
  let source: SignerSource = "browser-key";
  /** A patient action is being signed or relayed (the next one would reuse its nonce). */
  let busy = false;

  /** Signs with the patient's signer, relays with the relayer account, reports and refreshes. */
  async function act(
    what: string,
    run: (signer: Awaited<ReturnType<Chain["patientSigner"]>>) => Promise<{ hash: string; blockNumber: number }>,
  ) {
    if (busy) {
      show(
        log,
        status("error", `${what}: wait until the previous action is done (each signature takes the next nonce).`),
      );
      return;
    }
    busy = true;
    show(log, status("info", `${what}: signing with the patient's key, then relaying…`));
    try {
      const receipt = await run(await chain.patientSigner(source));
      show(log, status("ok", `${what}: done (tx ${short(receipt.hash)}, block ${receipt.blockNumber}).`));
    } catch (error) {
      show(log, status("error", `${what} failed: ${errorText(error)}`));
    }
    await refresh();
    busy = false;
  }

  // ── grant form ──
  const orgSelect = h(
    "select",
    { id: "grant-org", name: "org" },
    chain.demo.orgs.map((o) => h("option", { value: o.id }, `${o.name} (${o.kind})`)),
  );
  const days = h("input", { id: "grant-days", name: "days", type: "number", min: 1, max: 3650, value: 30 });
  const grantForm = h(
    "form",
    {
      id: "grant-form",
      class: "card",
      onsubmit: (e) => {
        e.preventDefault();
        const form = e.target as HTMLFormElement;
        const scopes = checked(form, "category") as CategoryName[];
        const purposes = checked(form, "purpose") as PurposeName[];
        const actions = checked(form, "action") as ActionName[];
        if (scopes.length === 0 || purposes.length === 0 || actions.length === 0) {
          show(log, status("error", "Choose at least one category, one purpose and one action."));
          return;
        }
        const org = BigInt(orgSelect.value);
        void act(`Grant to ${chain.orgName(org)}`, async (signer) => {
          const expiresAt = (await chain.now()) + BigInt(days.value || "30") * DAY;
          const signed = await client.signGrant(signer, patientId, org, { scopes, purposes, actions, expiresAt });
          return client.relayGrant(chain.relayer, signed);
        });
      },
    },
    h("h2", null, "Grant access"),
    h("label", null, "Organisation ", orgSelect),
    checkboxes("Categories", "category", Object.keys(Category), []),
    checkboxes("Purposes", "purpose", Object.keys(Purpose), ["TREATMENT"]),
    checkboxes("Actions", "action", Object.keys(Action), ["READ"]),
    h("label", null, "Valid for ", days, " days"),
    h("button", { type: "submit" }, "Sign and grant"),
  );

  async function revoke(org: bigint): Promise<void> {
    await act(`Revoke ${chain.orgName(org)}`, async (signer) =>
      client.relayRevoke(chain.relayer, await client.signRevoke(signer, patientId, org)),
    );
  }

  async function refresh(): Promise<void> {
    try {
      const range = { fromBlock: chain.demo.deployBlock };
      const [view, policy, accessLog, openings, now, signer] = await Promise.all([
        patientConsentView(chain.consent, patientId, range),
        client.policyOf(patientId),
        accessLogView(chain.consent, patientId, range),
        emergencyAccessView(chain.consent, { patientId }, range),
        chain.now(),
        chain.patientSigner(source).then((s) => s.getAddress()),
      ]);
      const balance = await chain.provider.getBalance(signer);
      show(
        header,
        h("h2", null, chain.demo.patient.name),
        h(
          "dl",
          { class: "facts" },
          h("dt", null, "Patient id"),
          h("dd", { title: chain.demo.patient.id }, short(chain.demo.patient.id)),
          h("dt", null, "Signing account"),
          h("dd", { id: "patient-address" }, signer),
          h("dt", null, "Its balance"),
          h(
            "dd",
            { id: "patient-balance", "data-wei": balance.toString() },
            `${formatEther(balance)} ETH (${balance} wei)`,
          ),
          h("dt", null, "Gas paid by"),
          h("dd", null, `the relayer ${chain.demo.relayer}`),
        ),
        chain.hasInjectedWallet
          ? h(
              "label",
              null,
              "Sign with ",
              h(
                "select",
                {
                  id: "signer-source",
                  onchange: (e) => {
                    source = (e.target as HTMLSelectElement).value as SignerSource;
                    void refresh();
                  },
                },
                h(
                  "option",
                  { value: "browser-key", selected: source === "browser-key" },
                  "the key held in this browser",
                ),
                h("option", { value: "injected", selected: source === "injected" }, "the injected wallet"),
              ),
            )
          : null,
      );
      show(
        grantsBox,
        h("h2", null, "My grants"),
        view.grants.length === 0
          ? h("p", { class: "muted" }, "No grants yet.")
          : table(
              ["Organisation", "Categories", "Purposes", "Actions", "Window", "State", ""],
              view.grants.map((g) => {
                const state = grantState(g, now);
                return h(
                  "tr",
                  { "data-org": g.granteeOrg.toString(), "data-state": state },
                  h("td", null, chain.orgName(g.granteeOrg)),
                  h("td", null, names(categoryNames(g.scopes))),
                  h("td", null, names(purposeNames(g.purposes))),
                  h("td", null, names(Object.keys(Action).filter((a) => (g.actions & Action[a as ActionName]) !== 0))),
                  h(
                    "td",
                    null,
                    `${formatDate(g.notBefore > g.granted.timestamp ? g.notBefore : g.granted.timestamp)} → ${formatDate(g.expiresAt)}`,
                  ),
                  h("td", null, h("span", { class: `badge badge-${state}` }, state)),
                  h(
                    "td",
                    null,
                    state === "active" || state === "pending"
                      ? h(
                          "button",
                          { type: "button", class: "revoke", onclick: () => void revoke(g.granteeOrg) },
                          "Revoke",
                        )
                      : null,
                  ),
                );
              }),
            ),
        h(
          "p",
          { class: "muted small" },
          "Categories as the chain's events show them: a sensitive category widens to the whole sensitive group.",
        ),
      );
      show(denyBox, denyForm(policy));
      show(
        accessBox,
        h("h2", null, "Access log"),
        accessLog.length === 0
          ? h("p", { class: "muted" }, "No disclosure logged.")
          : table(
              ["When", "Disclosed to", "By", "Record", "Categories", "Purpose", "Under"],
              accessLog.map((a) =>
                h(
                  "tr",
                  null,
                  h("td", null, time(a.timestamp)),
                  h("td", null, chain.orgName(a.recipientOrg)),
                  h("td", null, chain.orgName(a.custodianOrg)),
                  h("td", { title: a.recordId }, short(a.recordId)),
                  h("td", null, names(categoryNames(a.scopes))),
                  h("td", null, names(purposeNames(a.purpose))),
                  h("td", null, a.accessId === 0n ? "a grant" : `break-glass #${a.accessId}`),
                ),
              ),
            ),
      );
      show(
        emergencyBox,
        h("h2", null, "Break-glass openings"),
        openings.length === 0
          ? h("p", { class: "muted" }, "No emergency access was ever opened.")
          : table(
              ["#", "Organisation", "Opened", "Window ends", "Justification", "State"],
              openings.map((o) =>
                h(
                  "tr",
                  null,
                  h("td", null, `#${o.accessId}`),
                  h("td", null, chain.orgName(o.orgId)),
                  h("td", null, time(o.openedAt)),
                  h("td", null, time(o.closesAt)),
                  h(
                    "td",
                    null,
                    o.justified
                      ? `given ${formatDate(o.justified.timestamp)}${o.justified.late ? " (late)" : ""}`
                      : `due ${formatDate(o.justificationDueAt)}`,
                  ),
                  h(
                    "td",
                    null,
                    isEmergencyAccessOverdue(o, now)
                      ? "overdue"
                      : o.closedEarly
                        ? "closed early"
                        : now < o.closesAt
                          ? "open"
                          : "closed",
                  ),
                ),
              ),
            ),
      );
    } catch (error) {
      show(log, status("error", `Could not read the chain: ${errorText(error)}`));
    }
  }

  function denyForm(policy: { denyMask: number; emergencyPolicy: number }): HTMLElement {
    return h(
      "form",
      {
        id: "deny-form",
        class: "card",
        onsubmit: (e) => {
          e.preventDefault();
          const form = e.target as HTMLFormElement;
          const mask = checked(form, "deny") as CategoryName[];
          const flags = checked(form, "emergency") as (keyof typeof EmergencyPolicy)[];
          void act("Set the deny mask", async (signer) =>
            client.relaySetDenyMask(chain.relayer, await client.signSetDenyMask(signer, patientId, mask, flags)),
          );
        },
      },
      h("h2", null, "Never share"),
      h(
        "p",
        { class: "muted small" },
        "Categories no grant can open. Emergency policy: opt out of break-glass, or let it override this mask.",
      ),
      checkboxes("Categories", "deny", Object.keys(Category), categoryNames(policy.denyMask)),
      checkboxes(
        "Emergency policy",
        "emergency",
        Object.keys(EmergencyPolicy),
        emergencyPolicyNames(policy.emergencyPolicy),
      ),
      h("button", { type: "submit" }, "Sign and save"),
    );
  }

  void refresh();
  return h(
    "section",
    { id: "page-consent" },
    h("h1", null, "My consent"),
    header,
    log,
    grantsBox,
    h("div", { class: "columns" }, grantForm, denyBox),
    accessBox,
    emergencyBox,
  );
}

function checkboxes(legend: string, name: string, options: string[], selected: string[]): HTMLFieldSetElement {
  return h(
    "fieldset",
    { class: "checks" },
    h("legend", null, legend),
    options.map((option) =>
      h(
        "label",
        null,
        h("input", { type: "checkbox", name, value: option, checked: selected.includes(option) }),
        " ",
        option.toLowerCase().replaceAll("_", " "),
      ),
    ),
  );
}

function checked(form: HTMLFormElement, name: string): string[] {
  return [...form.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function table(headings: string[], rows: HTMLElement[]): HTMLTableElement {
  return h(
    "table",
    null,
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        headings.map((t) => h("th", null, t)),
      ),
    ),
    h("tbody", null, rows),
  );
}
