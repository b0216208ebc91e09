// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {MedChainAccessManager} from "../../contracts/governance/MedChainAccessManager.sol";
import {Roles} from "../../contracts/governance/Roles.sol";
import {IdentityRegistry} from "../../contracts/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {ConsentManager} from "../../contracts/consent/ConsentManager.sol";
import {RecordRegistry} from "../../contracts/records/RecordRegistry.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";

/// @notice Deploys IdentityRegistry, RecordRegistry and ConsentManager wired as src/wiring.ts says, with a
///         hospital (emergency + write), a lab, a patient with a known key, and helpers.
abstract contract ConsentBase is Test {
    bytes32 internal constant ATTESTATION_TYPEHASH =
        keccak256("PatientAttestation(bytes32 commitment,address controller,uint256 patientId,uint256 deadline)");

    MedChainAccessManager internal manager;
    IdentityRegistry internal identity;
    RecordRegistry internal records;
    ConsentManager internal consent;

    address internal registrar;
    uint256 internal registrarKey;
    address internal regulator;
    address internal patient;
    uint256 internal patientKey;
    address internal doctor;
    address internal labTech;
    uint256 internal hospital;
    uint256 internal lab;
    uint256 internal patientId;

    function setUp() public virtual {
        vm.warp(1_767_225_600);
        manager = new MedChainAccessManager(address(this));
        identity = new IdentityRegistry(address(manager));
        records = new RecordRegistry(address(manager), identity);
        consent = new ConsentManager(address(manager), identity, records);
        records.setConsentManager(address(consent));

        bytes4[] memory fns = new bytes4[](2);
        fns[0] = IdentityRegistry.registerOrganization.selector;
        fns[1] = IdentityRegistry.proposeRecovery.selector;
        manager.setTargetFunctionRole(address(identity), fns, Roles.REGISTRAR);
        bytes4[] memory regulatorFns = new bytes4[](1);
        regulatorFns[0] = ConsentManager.reportOverdue.selector;
        manager.setTargetFunctionRole(address(consent), regulatorFns, Roles.REGULATOR);

        (registrar, registrarKey) = makeAddrAndKey("registrar");
        regulator = makeAddr("regulator");
        (patient, patientKey) = makeAddrAndKey("patient");
        doctor = makeAddr("doctor");
        labTech = makeAddr("labTech");
        manager.grantRole(Roles.REGISTRAR, registrar, 0);
        manager.grantRole(Roles.REGULATOR, regulator, 0);
        identity.setRegistrarKinds(registrar, 0x1fe);

        hospital = _registerOrg(
            IIdentityRegistry.OrgKind.Provider,
            Capabilities.EMERGENCY_ACCESS | Capabilities.WRITE_RECORDS,
            doctor
        );
        lab = _registerOrg(IIdentityRegistry.OrgKind.Lab, Capabilities.WRITE_RECORDS, labTech);
        patientId = uint256(keccak256("patientId")) | 1;
        _registerPatient(patient, patientId);
    }

    function _registerOrg(
        IIdentityRegistry.OrgKind kind,
        uint32 capabilities,
        address operator
    ) internal returns (uint256 orgId) {
        vm.prank(registrar);
        orgId = identity.registerOrganization(
            kind,
            capabilities,
            uint64(block.timestamp + 3650 days),
            keccak256(abi.encode(operator)),
            operator
        );
    }

    function _registerPatient(address controller, uint256 id) internal {
        bytes32 commitment = keccak256(abi.encode("commitment", id));
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                identity.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(ATTESTATION_TYPEHASH, commitment, controller, id, deadline))
            )
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(registrarKey, digest);
        identity.registerPatient(id, commitment, controller, deadline, registrar, abi.encodePacked(r, s, v));
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
