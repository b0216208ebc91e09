// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ConsentBase} from "./ConsentBase.sol";
import {ConsentManager} from "../../contracts/consent/ConsentManager.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {Capabilities} from "../../contracts/libraries/Capabilities.sol";
import {Scopes} from "../../contracts/libraries/Scopes.sol";

/// @notice A registry stand-in whose `getOrganization` answer is scripted: a given record, a revert, or
///         a short answer; every caller is an operator of organisation 7, an active emergency Provider.
contract ScriptedIdentity {
    enum Mode {
        Answer,
        Revert,
        Short
    }

    error RegistryDown();

    Mode public mode;
    IIdentityRegistry.Organization internal _org;

    function script(Mode mode_, IIdentityRegistry.Organization calldata org) external {
        mode = mode_;
        _org = org;
    }

    function activeRoleOf(address) external pure returns (uint256, IIdentityRegistry.OrgKind, uint32) {
        return (7, IIdentityRegistry.OrgKind.Provider, Capabilities.EMERGENCY_ACCESS);
    }

    function isPatient(uint256) external pure returns (bool) {
        return true;
    }

    function getOrganization(uint256) external view returns (IIdentityRegistry.Organization memory) {
        if (mode == Mode.Revert) revert RegistryDown();
        if (mode == Mode.Short) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                mstore(0, 1)
                return(0, 0x20)
            }
        }
        return _org;
    }
}

/// @notice Break-glass access is checked at use: `hasEmergencyAccess` asks the organisation's record each
///         time and answers exactly "an active Provider, licence running, holding EMERGENCY_ACCESS".
contract BreakGlassAtUseTest is ConsentBase {
    ScriptedIdentity internal scripted;
    ConsentManager internal cm;
    uint256 internal constant ORG = 7;

    function setUp() public override {
        super.setUp();
        scripted = new ScriptedIdentity();
        cm = new ConsentManager(address(manager), IIdentityRegistry(address(scripted)), records);
        vm.prank(doctor);
        cm.openEmergencyAccess(patientId, Scopes.READ, keccak256("reason"));
    }

    function testFuzz_emergencyAccessFollowsTheOrganisationAtUse(
        uint8 kind,
        uint8 status,
        uint64 validUntil,
        uint32 capabilities
    ) public {
        IIdentityRegistry.Organization memory org = IIdentityRegistry.Organization({
            kind: IIdentityRegistry.OrgKind(bound(kind, 0, 8)),
            status: IIdentityRegistry.OrgStatus(bound(status, 0, 3)),
            validUntil: validUntil,
            capabilities: capabilities,
            companyPrefix: 0,
            prefixLength: 0
        });
        scripted.script(ScriptedIdentity.Mode.Answer, org);
        bool expected = org.kind == IIdentityRegistry.OrgKind.Provider &&
            org.status == IIdentityRegistry.OrgStatus.Active &&
            org.validUntil > block.timestamp &&
            org.capabilities & Capabilities.EMERGENCY_ACCESS != 0;
        assertEq(cm.hasEmergencyAccess(patientId, ORG, Scopes.CONDITIONS), expected, "checked at use");
    }

    function test_RevertWhen_theRegistryFailsAtUse_itsRevertIsBubbledUp() public {
        IIdentityRegistry.Organization memory org;
        scripted.script(ScriptedIdentity.Mode.Revert, org);
        vm.expectRevert(ScriptedIdentity.RegistryDown.selector);
        cm.hasEmergencyAccess(patientId, ORG, Scopes.CONDITIONS);
    }

    function test_hasEmergencyAccess_refusesAShortAnswer() public {
        IIdentityRegistry.Organization memory org;
        scripted.script(ScriptedIdentity.Mode.Short, org);
        assertFalse(cm.hasEmergencyAccess(patientId, ORG, Scopes.CONDITIONS), "short answer");
    }
}
