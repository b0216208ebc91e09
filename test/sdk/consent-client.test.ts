import { expect } from "chai";
import { hexlify, randomBytes } from "ethers";
import { network } from "hardhat";

import {
  accessAllowed,
  actionMask,
  actionNames,
  categoryMask,
  categoryNames,
  ConsentClient,
  emergencyPolicyMask,
  emergencyPolicyNames,
  type GrantTerms,
  grantTerms,
  purposeMask,
  purposeNames,
} from "../../src/clients/consent.ts";
import { MedChainContractError } from "../../src/errors.ts";
import {
  Action,
  ALL_CATEGORIES,
  ALL_PURPOSES,
  Category,
  type CategoryName,
  categoryIndex,
  EmergencyPolicy,
  Purpose,
  redact,
  RESTRICTED,
} from "../../src/scopes.ts";
import type { ScopesHarness } from "../../typechain-types/index.ts";
import { DAY, HOUR, now, randomHash, YEAR } from "../helpers/identity.ts";
import { prng } from "../helpers/sdk.ts";
import { deploySdkConsent } from "../helpers/sdk-consent.ts";

const { ethers, networkHelpers } = await network.create();

async function sdkFixture() {
  return deploySdkConsent(ethers);
}

async function harnessFixture() {
  return (await ethers.deployContract("ScopesHarness")) as unknown as ScopesHarness;
}

/** Runs `action` and returns the `MedChainContractError` it throws (fails the test otherwise). */
async function contractError(action: Promise<unknown>): Promise<MedChainContractError> {
  const error = await action.then(
    () => expect.fail("expected a contract error"),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(MedChainContractError);
  return error as MedChainContractError;
}

describe("SDK ConsentClient", function () {
  describe("the seed example", function () {
    it("a doctor may read CONDITIONS and MEDICATIONS but not CONTACT; disclosing the address to it is refused", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const client = f.consentClient;
      const read = (scopes: CategoryName[]) =>
        client.hasAccess(f.patientId, f.hospital, { scopes, action: ["READ"], purpose: ["TREATMENT"] });
      expect(await read(["CONDITIONS"])).to.equal(true);
      expect(await read(["MEDICATIONS"])).to.equal(true);
      expect(await read(["CONDITIONS", "MEDICATIONS"])).to.equal(true);
      expect(await read(["CONTACT"])).to.equal(false);
      expect(await read(["CONTACT", "CONDITIONS"])).to.equal(false);
      expect(categoryNames((await client.getGrant(f.patientId, f.hospital))!.scopes)).to.deep.equal([
        "CONDITIONS",
        "MEDICATIONS",
      ]);

      // The lab holds the patient's address and a condition; it may disclose the condition, not the address.
      await client.connect(f.patient).grant(f.patientId, f.lab, {
        scopes: ["CONTACT", "CONDITIONS"],
        actions: ["WRITE"],
        purposes: ["TREATMENT"],
        expiresAt: f.expiresAt,
      });
      const contactRecord = randomHash();
      const conditionRecord = randomHash();
      await f.records
        .connect(f.labTech)
        .anchor(contactRecord, f.patientId, categoryIndex("CONTACT"), randomHash(), randomHash());
      await f.records
        .connect(f.labTech)
        .anchor(conditionRecord, f.patientId, categoryIndex("CONDITIONS"), randomHash(), randomHash());
      const lab = client.connect(f.labTech);
      const refused = await contractError(
        lab.logAccess(f.patientId, f.hospital, contactRecord, ["CONTACT"], ["TREATMENT"]),
      );
      expect(refused.errorName).to.equal("ConsentNotCovered");
      expect([...refused.args]).to.deep.equal([
        f.patientId,
        f.hospital,
        BigInt(Category.CONTACT),
        BigInt(Purpose.TREATMENT),
      ]);
      await expect(lab.logAccess(f.patientId, f.hospital, conditionRecord, ["CONDITIONS"], ["TREATMENT"]))
        .to.emit(f.consent, "AccessLogged")
        .withArgs(f.patientId, f.hospital, conditionRecord, f.lab, Category.CONDITIONS, Purpose.TREATMENT, 0n);
    });
  });

  describe("direct patient actions", function () {
    it("grants, revokes and sets the deny mask by names; reads them back", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const client = f.consentClient.connect(f.patient);
      const expiresAt = (await now(ethers)) + YEAR;
      const notBefore = (await now(ethers)) + DAY;
      const receipt = await client.grant(f.patientId, f.insurer, {
        scopes: ["BILLING", "DEMOGRAPHICS"],
        purposes: ["PAYMENT"],
        notBefore,
        expiresAt,
      });
      await expect(receipt)
        .to.emit(f.consent, "ConsentGranted")
        .withArgs(
          f.patientId,
          f.insurer,
          Category.BILLING | Category.DEMOGRAPHICS,
          Action.READ,
          Purpose.PAYMENT,
          notBefore,
          expiresAt,
        );
      expect(await client.getGrant(f.patientId, f.insurer)).to.deep.equal({
        scopes: Category.BILLING | Category.DEMOGRAPHICS,
        actions: Action.READ,
        purposes: Purpose.PAYMENT,
        notBefore,
        expiresAt,
      });
      const nonce = await client.nonce(f.patientId);

      await expect(client.revoke(f.patientId, f.insurer))
        .to.emit(f.consent, "ConsentRevoked")
        .withArgs(f.patientId, f.insurer);
      expect(await client.getGrant(f.patientId, f.insurer)).to.equal(undefined);

      await expect(client.setDenyMask(f.patientId, ["GENETIC", "CONTACT"], ["OVERRIDES_DENY"]))
        .to.emit(f.consent, "DenyMaskSet")
        .withArgs(f.patientId, redact(Category.GENETIC | Category.CONTACT), EmergencyPolicy.OVERRIDES_DENY);
      expect(await client.policyOf(f.patientId)).to.deep.equal({
        denyMask: Category.GENETIC | Category.CONTACT,
        emergencyPolicy: EmergencyPolicy.OVERRIDES_DENY,
      });
      expect(await client.nonce(f.patientId)).to.equal(nonce + 2n);
    });

    it("throws MedChainContractError naming the contract's error and its values", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const terms = {
        scopes: ["CONDITIONS"] as CategoryName[],
        purposes: ["TREATMENT" as const],
        expiresAt: f.expiresAt,
      };
      const unauthorized = await contractError(f.consentClient.connect(f.stranger).grant(f.patientId, f.lab, terms));
      expect(unauthorized.errorName).to.equal("ConsentUnauthorized");
      expect([...unauthorized.args]).to.deep.equal([f.stranger.address, f.patientId]);

      const patient = f.consentClient.connect(f.patient);
      const noGrant = await contractError(patient.revoke(f.patientId, f.pharmacy));
      expect(noGrant.errorName).to.equal("ConsentNoGrant");
      expect([...noGrant.args]).to.deep.equal([f.patientId, f.pharmacy]);

      const invalid = await contractError(patient.grant(f.patientId, f.lab, { ...terms, scopes: 0 }));
      expect(invalid.errorName).to.equal("ConsentInvalidGrant");

      const policy = await contractError(patient.setDenyMask(f.patientId, 1 << 16));
      expect(policy.errorName).to.equal("ConsentInvalidPolicy");

      // Paused: a grant is refused (OpenZeppelin's EnforcedPause, decoded too); a revocation still works.
      await f.consent.connect(f.pauser).pause();
      expect((await contractError(patient.grant(f.patientId, f.lab, terms))).errorName).to.equal("EnforcedPause");
      await expect(patient.revoke(f.patientId, f.lab)).to.emit(f.consent, "ConsentRevoked");
    });
  });

  describe("signed patient actions", function () {
    it("relays a grant, a deny mask and a revocation signed by a patient holding zero ether", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const { wallet, patientId } = await f.patientWithoutEther();
      const client = f.consentClient;

      const signed = await client.signGrant(wallet, patientId, f.hospital, {
        scopes: ["CONDITIONS", "MEDICATIONS"],
        actions: ["READ"],
        purposes: ["TREATMENT", "EMERGENCY"],
        expiresAt: f.expiresAt,
      });
      expect(signed.signer).to.equal(wallet.address);
      expect(signed.message.nonce).to.equal(0n);
      await expect(client.relayGrant(f.relayer, signed))
        .to.emit(f.consent, "ConsentGranted")
        .withArgs(
          patientId,
          f.hospital,
          Category.CONDITIONS | Category.MEDICATIONS,
          Action.READ,
          Purpose.TREATMENT | Purpose.EMERGENCY,
          0n,
          f.expiresAt,
        );
      expect(
        await client.hasAccess(patientId, f.hospital, { scopes: ["MEDICATIONS"], purpose: ["TREATMENT"] }),
      ).to.equal(true);

      const deny = await client.signSetDenyMask(wallet, patientId, ["MEDICATIONS"], ["OPT_OUT"]);
      await expect(client.relaySetDenyMask(f.relayer, deny))
        .to.emit(f.consent, "DenyMaskSet")
        .withArgs(patientId, Category.MEDICATIONS, EmergencyPolicy.OPT_OUT);
      expect(
        await client.hasAccess(patientId, f.hospital, { scopes: ["MEDICATIONS"], purpose: ["TREATMENT"] }),
      ).to.equal(false);

      const revoke = await client.signRevoke(wallet, patientId, f.hospital);
      await expect(client.relayRevoke(f.relayer, revoke))
        .to.emit(f.consent, "ConsentRevoked")
        .withArgs(patientId, f.hospital);
      expect(await client.getGrant(patientId, f.hospital)).to.equal(undefined);
      expect(await client.nonce(patientId)).to.equal(3n);
      expect(await ethers.provider.getBalance(wallet.address)).to.equal(0n);
    });

    it("passes the nonce the signature covers: a signed grant not yet relayed dies when the patient acts directly", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const client = f.consentClient;
      const nonce = await client.nonce(f.patientId);
      const signed = await client.signGrant(f.patient, f.patientId, f.insurer, {
        scopes: ["BILLING"],
        purposes: ["PAYMENT"],
        expiresAt: f.expiresAt,
      });
      expect(signed.message.nonce).to.equal(nonce);
      await client.connect(f.patient).revoke(f.patientId, f.lab);
      const error = await contractError(client.relayGrant(f.relayer, signed));
      expect(error.errorName).to.equal("ConsentInvalidNonce");
      expect([...error.args]).to.deep.equal([f.patientId, nonce, nonce + 1n]);
    });

    it("a relayed signature replayed, expired, or by an account that cannot act for the patient is refused, decoded", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const { wallet, patientId } = await f.patientWithoutEther();
      const client = f.consentClient;
      const terms = {
        scopes: ["CONDITIONS"] as CategoryName[],
        purposes: ["TREATMENT" as const],
        expiresAt: f.expiresAt,
      };

      const signed = await client.signGrant(wallet, patientId, f.lab, terms);
      await client.relayGrant(f.relayer, signed);
      expect((await contractError(client.relayGrant(f.relayer, signed))).errorName).to.equal("ConsentInvalidNonce");

      const short = await client.signGrant(wallet, patientId, f.lab, terms, { ttlSeconds: 60n });
      await networkHelpers.time.increase(2n * HOUR);
      expect((await contractError(client.relayGrant(f.relayer, short))).errorName).to.equal("ConsentSignatureExpired");

      const forged = await client.signGrant(f.stranger, patientId, f.lab, terms);
      const unauthorized = await contractError(client.relayGrant(f.relayer, forged));
      expect(unauthorized.errorName).to.equal("ConsentUnauthorized");
      expect([...unauthorized.args]).to.deep.equal([f.stranger.address, patientId]);
    });
  });

  describe("names and bits", function () {
    it("names map to the contract's bits and back, for every category, action, purpose and policy flag", async function () {
      const { consent } = await networkHelpers.loadFixture(sdkFixture);
      const optOut = Number(await consent.EMERGENCY_OPT_OUT());
      const overridesDeny = Number(await consent.EMERGENCY_OVERRIDES_DENY());
      const h = await networkHelpers.loadFixture(harnessFixture);
      const onChainCategories = (await h.categories()).map(Number);
      const names = Object.keys(Category) as CategoryName[];
      onChainCategories.forEach((bit, i) => {
        expect(categoryNames(bit)).to.deep.equal([names[i]]);
        expect(categoryMask([names[i]])).to.equal(bit);
      });
      const [read, write, allActions] = (await h.actions()).map(Number);
      expect(actionNames(read)).to.deep.equal(["READ"]);
      expect(actionNames(write)).to.deep.equal(["WRITE"]);
      expect(actionMask(["READ", "WRITE"])).to.equal(allActions);
      const onChainPurposes = (await h.purposes()).map(Number);
      expect(purposeNames(onChainPurposes[5])).to.deep.equal(["EMERGENCY"]);
      expect(purposeMask(purposeNames(onChainPurposes[6]))).to.equal(onChainPurposes[6]);
      expect(purposeMask(["TREATMENT", "RESEARCH"])).to.equal(onChainPurposes[0] | onChainPurposes[3]);
      expect(emergencyPolicyMask(["OPT_OUT"])).to.equal(optOut);
      expect(emergencyPolicyMask(["OVERRIDES_DENY"])).to.equal(overridesDeny);
      expect(emergencyPolicyNames(3)).to.deep.equal(["OPT_OUT", "OVERRIDES_DENY"]);

      const random = prng(0x5c0fe5);
      for (let i = 0; i < 200; i++) {
        const mask = Math.floor(random() * (ALL_CATEGORIES + 1));
        expect(categoryMask(categoryNames(mask))).to.equal(mask);
        const redacted = categoryNames(Number(await h.redact(mask)));
        if (mask & RESTRICTED)
          expect(redacted).to.include.members(["MENTAL_HEALTH", "SUBSTANCE_USE", "SEXUAL_HEALTH", "GENETIC"]);
      }
      expect(purposeMask(purposeNames(ALL_PURPOSES))).to.equal(ALL_PURPOSES);
      expect(categoryMask(0x1234)).to.equal(0x1234);
      expect(() => categoryMask(["ADDRESS" as CategoryName])).to.throw(TypeError, "unknown category name: ADDRESS");
      expect(() => purposeMask(["MARKETING" as never])).to.throw(TypeError, "unknown purpose name");
      expect(grantTerms({ scopes: ["CONDITIONS"], purposes: ["TREATMENT"], expiresAt: 5n })).to.deep.equal({
        scopes: Category.CONDITIONS,
        actions: Action.READ,
        purposes: Purpose.TREATMENT,
        notBefore: 0n,
        expiresAt: 5n,
      });
    });

    it("accessAllowed is a twin of hasAccess: same answer over random grants, deny masks, times and suspension", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const client = f.consentClient.connect(f.patient);
      const random = prng(0xacce55);
      const pick = (max: number) => Math.floor(random() * max);
      const start = await now(ethers);
      const terms: GrantTerms = {
        scopes: Category.CONDITIONS | Category.MEDICATIONS | Category.MENTAL_HEALTH | Category.LAB_RESULTS,
        actions: Action.READ,
        purposes: Purpose.TREATMENT | Purpose.RESEARCH,
        notBefore: start + DAY,
        expiresAt: start + 30n * DAY,
      };
      await client.grant(f.patientId, f.insurer, terms);
      await client.setDenyMask(f.patientId, ["LAB_RESULTS"]);
      const grant = await client.getGrant(f.patientId, f.insurer);
      const { denyMask } = await client.policyOf(f.patientId);
      expect(grant).to.deep.equal(terms);

      const requestMasks = [
        Category.CONDITIONS,
        Category.MENTAL_HEALTH,
        Category.LAB_RESULTS,
        Category.CONTACT,
        Category.CONDITIONS | Category.MEDICATIONS,
      ];
      let agreedTrue = 0;
      // Before the window, inside it, inside it with the insurer suspended, after it.
      for (const [offset, suspend] of [
        [HOUR, false],
        [2n * DAY, false],
        [3n * DAY, true],
        [31n * DAY, false],
      ] as [bigint, boolean][]) {
        await networkHelpers.time.increaseTo(start + offset);
        if (suspend) await f.identity.connect(f.regulator).suspendOrganization(f.insurer, randomHash());
        const state = {
          grant,
          denyMask,
          granteeActive: await f.identity.isActiveOrganization(f.insurer),
          now: await now(ethers),
        };
        for (let i = 0; i < 24; i++) {
          // Half the requests are drawn within the grant (likely allowed), half anywhere.
          const within = i % 2 === 0;
          const request = {
            scopes: i < requestMasks.length ? requestMasks[i] : within ? pick(1 << 16) & terms.scopes : pick(1 << 16),
            action: within ? Action.READ : 1 + pick(3),
            purpose: within ? [Purpose.TREATMENT, Purpose.RESEARCH][pick(2)] : pick(64),
          };
          const onChain = await f.consentClient.hasAccess(f.patientId, f.insurer, request);
          expect(accessAllowed(state, request), JSON.stringify({ offset: String(offset), request })).to.equal(onChain);
          if (onChain) agreedTrue++;
        }
      }
      expect(agreedTrue, "some requests were allowed").to.be.greaterThan(0);
      expect(
        accessAllowed({ grant: undefined, denyMask: 0, granteeActive: true, now: 0n }, { scopes: 1, purpose: 1 }),
      ).to.equal(false);
    });
  });

  describe("break-glass", function () {
    it("opens, justifies and closes an emergency access through the client", async function () {
      const f = await networkHelpers.loadFixture(sdkFixture);
      const doctor = f.consentClient.connect(f.doctor);
      const reasonHash = hexlify(randomBytes(32));
      const { accessId, receipt } = await doctor.openEmergencyAccess(f.patientId, reasonHash);
      expect(accessId).to.equal(await f.consent.emergencyAccessCount());
      await expect(receipt).to.emit(f.consent, "EmergencyAccessOpened");
      const justification = hexlify(randomBytes(32));
      await expect(doctor.justifyEmergencyAccess(accessId, justification))
        .to.emit(f.consent, "EmergencyAccessJustified")
        .withArgs(accessId, justification, false);
      await expect(doctor.closeEmergencyAccess(accessId))
        .to.emit(f.consent, "EmergencyAccessClosed")
        .withArgs(accessId, f.doctor.address);
      const closed = await contractError(doctor.closeEmergencyAccess(accessId));
      expect(closed.errorName).to.equal("ConsentEmergencyClosed");
      const notProvider = await contractError(
        f.consentClient.connect(f.labTech).openEmergencyAccess(f.patientId, reasonHash),
      );
      expect(notProvider.errorName).to.equal("ConsentEmergencyNotProvider");
    });
  });
});
