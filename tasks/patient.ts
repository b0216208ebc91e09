/**
 * `medchain patient register`: for local use, a registrar attests a new patient identity (EIP-712
 * `PatientAttestation`) and relays the registration itself (or `--relayer` does: anyone may). In production the registrar's service signs
 * and any relayer submits; the uniqueness commitment comes from the registrars' pepper, not from here.
 */
import { hexlify, randomBytes } from "ethers";

import { medchainDomain, PatientAttestationTypes } from "../src/eip712.ts";
import { randomId } from "../src/ids.ts";
import {
  account,
  addressOf,
  chainNow,
  command,
  fail,
  formatId,
  openMedChain,
  parseBytes32,
  parseId,
  printFields,
  send,
} from "./lib.ts";

interface RegisterArgs {
  controller?: string;
  id?: string;
  commitment?: string;
  from?: string;
  relayer?: string;
}

export const register = command(async (args: RegisterArgs, hre) => {
  const patientId = args.id === undefined ? randomId() : parseId(args.id, "--id");
  if (patientId === 0n) fail("--id: a patient id is non-zero");
  const commitment =
    args.commitment === undefined ? hexlify(randomBytes(32)) : parseBytes32(args.commitment, "--commitment");

  const { ethers, identity, chainId } = await openMedChain(hre);
  const controller = await addressOf(ethers, args.controller, "--controller");
  const registrar = await account(ethers, args.from, "--from", 1);
  const relayer = args.relayer === undefined ? registrar : await account(ethers, args.relayer, "--relayer");
  if (await identity.isPatient(patientId)) fail(`patient ${formatId(patientId)} already exists`);
  const deadline = (await chainNow(ethers)) + 3600n;
  const domain = medchainDomain("IdentityRegistry", chainId, await identity.getAddress());
  const signature = await registrar.signTypedData(domain, PatientAttestationTypes, {
    commitment,
    controller,
    patientId,
    deadline,
  });
  await send(
    `registerPatient attested by ${registrar.address}, relayed by ${relayer.address}`,
    identity.connect(relayer).registerPatient(patientId, commitment, controller, deadline, registrar, signature),
  );
  printFields("Registered patient", [
    ["id", formatId(patientId)],
    ["controller", controller],
    ["commitment", commitment],
  ]);
});
