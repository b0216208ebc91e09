/**
 * The demo's fictional patient and the personal values its story uses OFF chain: the record that is
 * encrypted, the national id the registrar turns into a uniqueness commitment, the procedure codes the
 * insurer salts per plan. None of them may ever appear on chain in any form: the privacy test
 * (test/integration/privacy.test.ts) scans every transaction, event and touched storage slot of the demo
 * for each of them (UTF-8, hex, padded, keccak256 and sha256).
 *
 * Everything here is invented for the demo.
 */
export const PATIENT = {
  name: "Maria Exemplar Testperson",
  givenName: "Maria",
  familyName: "Testperson",
  birthDate: "1984-07-19",
  address: "12 Imaginary Lane, Faketown 99999",
  phone: "+1-555-0142",
  nationalId: "987-65-4321",
  /** A diagnosis (ICD-10 I10, essential hypertension) and its text. */
  diagnosisCode: "I10",
  diagnosisText: "Essential (primary) hypertension",
  /** Procedure codes billed in the claims chapter (CPT). */
  procedureCodes: ["99213", "93000"],
  /** The prescribed drug (free text on the prescription). */
  medication: "Lisinopril 10 mg tablet",
} as const;

/** Every personal value the privacy scan looks for. */
export const PERSONAL_VALUES: readonly string[] = [
  PATIENT.name,
  PATIENT.givenName,
  PATIENT.familyName,
  PATIENT.birthDate,
  PATIENT.birthDate.replaceAll("-", ""),
  PATIENT.address,
  PATIENT.phone,
  PATIENT.nationalId,
  PATIENT.nationalId.replaceAll("-", ""),
  PATIENT.diagnosisCode,
  PATIENT.diagnosisText,
  ...PATIENT.procedureCodes,
  PATIENT.medication,
];
