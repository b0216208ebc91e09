// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";

/// @notice Test-only IdentityRegistry stand-in for Solidity tests: the views ClaimEscrow asks
///         (`activeRoleOf`, `requireActiveOrganization`, `organizationOf`, `getOrganization`, `isPatient`,
///         `canActForPatient`), with settable answers.
contract MockClaimsIdentity {
    mapping(address account => uint256 orgId) public orgIdOf;
    mapping(uint256 orgId => IIdentityRegistry.Organization) private _orgs;
    mapping(uint256 patientId => mapping(address account => bool)) public actsFor;
    mapping(uint256 patientId => bool) public isPatient;

    function setOrganization(address operator, uint256 orgId, IIdentityRegistry.OrgKind kind, uint32 caps) external {
        orgIdOf[operator] = orgId;
        _orgs[orgId] = IIdentityRegistry.Organization({
            kind: kind,
            status: IIdentityRegistry.OrgStatus.Active,
            validUntil: type(uint64).max,
            capabilities: caps,
            companyPrefix: 0,
            prefixLength: 0
        });
    }

    function setStatus(uint256 orgId, IIdentityRegistry.OrgStatus status) external {
        _orgs[orgId].status = status;
    }

    function setPatient(uint256 patientId, address controller) external {
        isPatient[patientId] = true;
        actsFor[patientId][controller] = true;
    }

    function activeRoleOf(
        address account
    ) external view returns (uint256 orgId, IIdentityRegistry.OrgKind kind, uint32 capabilities) {
        orgId = orgIdOf[account];
        IIdentityRegistry.Organization memory org = _orgs[orgId];
        if (org.status != IIdentityRegistry.OrgStatus.Active) return (0, IIdentityRegistry.OrgKind.None, 0);
        return (orgId, org.kind, org.capabilities);
    }

    function requireActiveOrganization(address account) external view returns (uint256 orgId) {
        orgId = orgIdOf[account];
        IIdentityRegistry.OrgStatus status = _orgs[orgId].status;
        if (orgId != 0 && status != IIdentityRegistry.OrgStatus.Active) {
            revert IIdentityRegistry.IdentityOrganizationNotActive(orgId, status);
        }
    }

    function organizationOf(address account) external view returns (uint256) {
        return orgIdOf[account];
    }

    function getOrganization(uint256 orgId) external view returns (IIdentityRegistry.Organization memory) {
        return _orgs[orgId];
    }

    function canActForPatient(address account, uint256 patientId) external view returns (bool) {
        return actsFor[patientId][account];
    }
}
