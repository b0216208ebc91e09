// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IdentityBase} from "../utils/IdentityBase.sol";
import {Roles} from "../../contracts/governance/Roles.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {ConsentManager} from "../../contracts/consent/ConsentManager.sol";
import {RecordRegistry} from "../../contracts/records/RecordRegistry.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";

/// @notice Deploys IdentityRegistry, RecordRegistry and ConsentManager wired as src/wiring.ts says, with a
///         hospital (emergency + write), a lab, a patient with a known key, and helpers.
abstract contract ConsentBase is IdentityBase {
    RecordRegistry internal records;
    ConsentManager internal consent;

    address internal regulator;
    address internal patient;
    uint256 internal patientKey;
    address internal doctor;
    address internal labTech;
    uint256 internal hospital;
    uint256 internal lab;
    uint256 internal patientId;

    function setUp() public virtual {
        _deployIdentity();
        records = new RecordRegistry(address(manager), identity);
        consent = new ConsentManager(address(manager), identity, records);
        records.setConsentManager(address(consent));

        bytes4[] memory regulatorFns = new bytes4[](1);
        regulatorFns[0] = ConsentManager.reportOverdue.selector;
        manager.setTargetFunctionRole(address(consent), regulatorFns, Roles.REGULATOR);

        regulator = makeAddr("regulator");
        (patient, patientKey) = makeAddrAndKey("patient");
        doctor = makeAddr("doctor");
        labTech = makeAddr("labTech");
        manager.grantRole(Roles.REGULATOR, regulator, 0);

        hospital = _registerOrg(
            IIdentityRegistry.OrgKind.Provider,
            Capabilities.EMERGENCY_ACCESS | Capabilities.WRITE_RECORDS,
            doctor
        );
        lab = _registerOrg(IIdentityRegistry.OrgKind.Lab, Capabilities.WRITE_RECORDS, labTech);
        patientId = uint256(keccak256("patientId")) | 1;
        _registerPatient(patient, patientId);
    }

    function _grant(
        uint256 orgId,
        uint32 scopes,
        uint8 actions,
        uint8 purposes,
        uint64 notBefore,
        uint64 expiresAt
    ) internal {
        vm.prank(patient);
        consent.grant(patientId, orgId, scopes, actions, purposes, notBefore, expiresAt);
    }

    function _signConsent(bytes32 structHash) internal view returns (bytes memory) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", consent.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(patientKey, digest);
        return abi.encodePacked(r, s, v);
    }
}
