// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IConsentManager} from "../interfaces/IConsentManager.sol";
import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {IRecordRegistry} from "../interfaces/IRecordRegistry.sol";
import {Capabilities} from "../libraries/Capabilities.sol";
import {Scopes} from "../libraries/Scopes.sol";

/// @title ConsentManager
/// @notice Patient consent to organisations, the deny mask, break-glass access and the audit trail.
/// @dev Not upgradeable. Governed by one AccessManager: `pause` is wired to PAUSER, `reportOverdue` to
///      REGULATOR; `setEmergencyParameters` and `unpause` stay ADMIN. The RecordRegistry is deployed first
///      and is immutable here (`logAccess` reads it for free); it learns this contract by a one-time setter.
contract ConsentManager is IConsentManager, AccessManaged, Pausable, EIP712 {
    // ------------------------------------------------------------------ types

    /// @dev One slot per patient: nonce, deny mask, emergency policy, and when it last opted out of
    ///      break-glass access (a window opened before then no longer counts, even after opting back in).
    struct PatientState {
        uint64 nonce;
        uint32 denyMask;
        uint8 emergencyPolicy;
        uint64 optedOutAt;
    }

    /// @dev One slot per (patient, organisation): the latest break-glass opening.
    struct EmergencyWindow {
        uint64 accessId;
        uint64 closesAt;
        uint64 openedAt;
    }

    // ------------------------------------------------------------------ constants

    /// @notice Emergency policy flag: no break-glass access to this patient's data.
    uint8 public constant EMERGENCY_OPT_OUT = 1 << 0;
    /// @notice Emergency policy flag: break-glass access ignores the deny mask.
    uint8 public constant EMERGENCY_OVERRIDES_DENY = 1 << 1;
    /// @notice The largest daily cap of openings (the size of the per-organisation ring of times).
    uint8 public constant MAX_DAILY_CAP = 64;
    /// @notice A break-glass justification is due this long after the opening.
    uint64 public constant JUSTIFICATION_PERIOD = 72 hours;
    uint64 public constant MIN_EMERGENCY_WINDOW = 1 hours;
    uint64 public constant MAX_EMERGENCY_WINDOW = 72 hours;

    bytes32 public constant GRANT_TYPEHASH =
        keccak256(
            "Grant(uint256 patientId,uint256 granteeOrg,uint32 scopes,uint8 actions,uint8 purposes,"
            "uint64 notBefore,uint64 expiresAt,uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(uint256 patientId,uint256 granteeOrg,uint256 nonce,uint256 deadline)");
    bytes32 public constant SET_DENY_MASK_TYPEHASH =
        keccak256(
            "SetDenyMask(uint256 patientId,uint32 denyMask,uint8 emergencyPolicy,uint256 nonce,uint256 deadline)"
        );
    bytes32 public constant CLOSE_EMERGENCY_ACCESS_TYPEHASH =
        keccak256("CloseEmergencyAccess(uint256 accessId,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ immutables

    IIdentityRegistry private immutable _IDENTITY;
    IRecordRegistry private immutable _RECORD_REGISTRY;

    // ------------------------------------------------------------------ storage

    // These two pack with AccessManaged's authority and Pausable's `_paused` in slot 0.
    uint64 private _emergencyWindow = 24 hours;
    uint8 private _dailyCap = 20;

    uint256 private _accessCount;
    mapping(uint256 patientId => mapping(uint256 granteeOrg => Grant)) private _grants;
    mapping(uint256 patientId => PatientState) private _patients;
    mapping(uint256 patientId => mapping(uint256 orgId => EmergencyWindow)) private _windows;
    mapping(uint256 accessId => EmergencyAccess) private _accesses;
    mapping(uint256 orgId => uint256) private _openingCount;
    mapping(uint256 orgId => uint64[MAX_DAILY_CAP]) private _openedAt;

    // ------------------------------------------------------------------ constructor

    constructor(
        address initialAuthority,
        IIdentityRegistry identity,
        IRecordRegistry recordRegistry_
    ) AccessManaged(initialAuthority) EIP712("MedChain ConsentManager", "1") {
        _IDENTITY = identity;
        _RECORD_REGISTRY = recordRegistry_;
    }

    // ------------------------------------------------------------------ ADMIN / PAUSER / REGULATOR

    /// @inheritdoc IConsentManager
    function setEmergencyParameters(uint64 window, uint8 dailyCap) external restricted {
        if (
            window < MIN_EMERGENCY_WINDOW || window > MAX_EMERGENCY_WINDOW || dailyCap == 0 || dailyCap > MAX_DAILY_CAP
        ) {
            revert ConsentInvalidEmergencyParameters(window, dailyCap);
        }
        _emergencyWindow = window;
        _dailyCap = dailyCap;
        emit EmergencyParametersSet(window, dailyCap);
    }

    /// @inheritdoc IConsentManager
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IConsentManager
    function unpause() external restricted {
        _unpause();
    }

    /// @inheritdoc IConsentManager
    function reportOverdue(uint256 accessId) external restricted {
        EmergencyAccess storage access = _checkAccess(accessId);
        if (!_isOverdue(access) || access.reported) {
            revert ConsentEmergencyNotOverdue(accessId, access.openedAt + JUSTIFICATION_PERIOD);
        }
        access.reported = true;
        emit EmergencyAccessOverdue(accessId, access.orgId, access.openedAt + JUSTIFICATION_PERIOD);
    }

    // ------------------------------------------------------------------ patient actions

    /// @inheritdoc IConsentManager
    function grant(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 actions,
        uint8 purposes,
        uint64 notBefore,
        uint64 expiresAt
    ) external whenNotPaused {
        // One call to the registry answers both the caller's authority and the grantee's status.
        (bool canAct, bool granteeActive) = _askIdentity(
            IIdentityRegistry.actorAndOrganization.selector,
            msg.sender,
            patientId,
            granteeOrg
        );
        if (!canAct) revert ConsentUnauthorized(msg.sender, patientId);
        _useNonce(patientId);
        _grant(patientId, granteeOrg, scopes, actions, purposes, notBefore, expiresAt, granteeActive);
    }

    /// @inheritdoc IConsentManager
    function grantWithSig(
        uint256 patientId,
        uint256 granteeOrg,
        Grant calldata terms,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        bytes32 structHash = keccak256(
            abi.encode(
                GRANT_TYPEHASH,
                patientId,
                granteeOrg,
                terms.scopes,
                terms.actions,
                terms.purposes,
                terms.notBefore,
                terms.expiresAt,
                nonce,
                deadline
            )
        );
        _useSignature(patientId, signer, nonce, deadline, structHash, signature);
        _grantSigned(patientId, granteeOrg, terms);
    }

    /// @inheritdoc IConsentManager
    function revoke(uint256 patientId, uint256 granteeOrg) external {
        _checkActor(msg.sender, patientId);
        _useNonce(patientId);
        _revoke(patientId, granteeOrg);
    }

    /// @inheritdoc IConsentManager
    function revokeWithSig(
        uint256 patientId,
        uint256 granteeOrg,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(abi.encode(REVOKE_TYPEHASH, patientId, granteeOrg, nonce, deadline));
        _useSignature(patientId, signer, nonce, deadline, structHash, signature);
        _revoke(patientId, granteeOrg);
    }

    /// @inheritdoc IConsentManager
    function setDenyMask(uint256 patientId, uint32 denyMask, uint8 emergencyPolicy) external {
        _checkActor(msg.sender, patientId);
        _useNonce(patientId);
        _setDenyMask(patientId, denyMask, emergencyPolicy);
    }

    /// @inheritdoc IConsentManager
    function setDenyMaskWithSig(
        uint256 patientId,
        uint32 denyMask,
        uint8 emergencyPolicy,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 structHash = keccak256(
            abi.encode(SET_DENY_MASK_TYPEHASH, patientId, denyMask, emergencyPolicy, nonce, deadline)
        );
        _useSignature(patientId, signer, nonce, deadline, structHash, signature);
        _setDenyMask(patientId, denyMask, emergencyPolicy);
    }

    // ------------------------------------------------------------------ break-glass

    /// @inheritdoc IConsentManager
    function openEmergencyAccess(
        uint256 patientId,
        uint8 actions,
        bytes32 reasonHash
    ) external whenNotPaused returns (uint256 accessId) {
        if (actions != Scopes.READ) revert ConsentEmergencyReadOnly(actions);
        (uint256 orgId, IIdentityRegistry.OrgKind kind, uint32 capabilities) = _IDENTITY.activeRoleOf(msg.sender);
        if (
            orgId == 0 ||
            kind != IIdentityRegistry.OrgKind.Provider ||
            capabilities & Capabilities.EMERGENCY_ACCESS == 0
        ) {
            // An operator of an inactive organisation learns which and why (the registry reverts).
            if (orgId == 0) _IDENTITY.requireActiveOrganization(msg.sender);
            revert ConsentEmergencyNotProvider(msg.sender, orgId);
        }
        if (!_IDENTITY.isPatient(patientId)) revert ConsentUnknownPatient(patientId);
        PatientState memory patient = _patients[patientId];
        if (patient.emergencyPolicy & EMERGENCY_OPT_OUT != 0) revert ConsentEmergencyOptedOut(patientId);
        EmergencyWindow memory window = _windows[patientId][orgId];
        if (_isOpen(window, patient)) revert ConsentEmergencyAlreadyOpen(patientId, orgId, window.accessId);
        _countOpening(orgId);

        accessId = ++_accessCount;
        uint64 closesAt = uint64(block.timestamp) + _emergencyWindow;
        _windows[patientId][orgId] = EmergencyWindow(uint64(accessId), closesAt, uint64(block.timestamp));
        _accesses[accessId] = EmergencyAccess({
            patientId: patientId,
            orgId: uint64(orgId),
            openedAt: uint64(block.timestamp),
            closesAt: closesAt,
            justified: false,
            reported: false
        });
        emit EmergencyAccessOpened(accessId, patientId, orgId, msg.sender, reasonHash, closesAt);
    }

    /// @inheritdoc IConsentManager
    function closeEmergencyAccess(uint256 accessId) external {
        EmergencyAccess storage access = _checkOpenAccess(accessId);
        if (_IDENTITY.organizationOf(msg.sender) != access.orgId) {
            _checkActor(msg.sender, access.patientId);
            _useNonce(access.patientId);
        }
        _close(accessId, access, msg.sender);
    }

    /// @inheritdoc IConsentManager
    function closeEmergencyAccessWithSig(
        uint256 accessId,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        EmergencyAccess storage access = _checkOpenAccess(accessId);
        bytes32 structHash = keccak256(abi.encode(CLOSE_EMERGENCY_ACCESS_TYPEHASH, accessId, nonce, deadline));
        _useSignature(access.patientId, signer, nonce, deadline, structHash, signature);
        _close(accessId, access, signer);
    }

    /// @inheritdoc IConsentManager
    function justifyEmergencyAccess(uint256 accessId, bytes32 justificationHash) external whenNotPaused {
        EmergencyAccess storage access = _checkAccess(accessId);
        if (_IDENTITY.organizationOf(msg.sender) != access.orgId) {
            revert ConsentNotEmergencyOrg(msg.sender, access.orgId);
        }
        if (access.justified) revert ConsentEmergencyAlreadyJustified(accessId);
        access.justified = true;
        emit EmergencyAccessJustified(
            accessId,
            justificationHash,
            block.timestamp > access.openedAt + JUSTIFICATION_PERIOD
        );
    }

    // ------------------------------------------------------------------ audit

    /// @inheritdoc IConsentManager
    function logAccess(
        uint256 patientId,
        uint256 recipientOrg,
        bytes32 recordId,
        uint32 scopes,
        uint8 purpose
    ) external whenNotPaused {
        (uint64 custodianOrg, uint8 category, IRecordRegistry.RecordStatus status, bool ofPatient) = _RECORD_REGISTRY
            .recordFor(recordId, patientId);
        (uint256 callerOrg, , ) = _IDENTITY.activeRoleOf(msg.sender);
        if (callerOrg == 0 || callerOrg != custodianOrg) {
            // An operator of an inactive organisation learns which and why (the registry reverts).
            if (callerOrg == 0) _IDENTITY.requireActiveOrganization(msg.sender);
            revert ConsentNotCustodian(msg.sender, recordId, custodianOrg);
        }
        if (status != IRecordRegistry.RecordStatus.Live) revert ConsentRecordNotLive(recordId, status);
        if (!ofPatient) revert ConsentRecordOfAnotherPatient(recordId, patientId);
        if (scopes & Scopes.bit(category) == 0) revert ConsentCategoryOutsideScopes(recordId, category, scopes);
        // An emergency disclosure is checked against the open break-glass window first: it names the
        // opening it was made under, and skips the grant's storage read (the costlier path otherwise).
        uint256 accessId;
        if (purpose == Scopes.EMERGENCY && hasEmergencyAccess(patientId, recipientOrg, scopes)) {
            accessId = _windows[patientId][recipientOrg].accessId;
        } else if (!hasAccess(patientId, recipientOrg, scopes, Scopes.READ, purpose)) {
            revert ConsentNotCovered(patientId, recipientOrg, scopes, purpose);
        }
        emit AccessLogged(patientId, recipientOrg, recordId, callerOrg, Scopes.redact(scopes), purpose, accessId);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IConsentManager
    function hasAccess(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 action,
        uint8 purpose
    ) public view returns (bool) {
        Grant memory g = _grants[patientId][granteeOrg];
        return
            Scopes.covers(g.scopes, scopes) &&
            Scopes.covers(g.actions, action) &&
            Scopes.covers(g.purposes, purpose) &&
            g.notBefore <= block.timestamp &&
            block.timestamp < g.expiresAt &&
            scopes & _patients[patientId].denyMask == 0 &&
            _IDENTITY.isActiveOrganization(granteeOrg);
    }

    /// @inheritdoc IConsentManager
    function hasEmergencyAccess(uint256 patientId, uint256 orgId, uint32 scopes) public view returns (bool) {
        PatientState memory patient = _patients[patientId];
        if (
            !_isOpen(_windows[patientId][orgId], patient) ||
            patient.emergencyPolicy & EMERGENCY_OPT_OUT != 0 ||
            !Scopes.isValid(scopes, Scopes.ALL_CATEGORIES) ||
            (patient.emergencyPolicy & EMERGENCY_OVERRIDES_DENY == 0 && scopes & patient.denyMask != 0)
        ) {
            return false;
        }
        // Checked at use, not only at opening: the organisation is still an active Provider holding
        // EMERGENCY_ACCESS.
        return _isEmergencyProvider(orgId);
    }

    /// @inheritdoc IConsentManager
    function getGrant(uint256 patientId, uint256 granteeOrg) external view returns (Grant memory) {
        return _grants[patientId][granteeOrg];
    }

    /// @inheritdoc IConsentManager
    function policyOf(uint256 patientId) external view returns (uint32 denyMask, uint8 emergencyPolicy) {
        PatientState memory patient = _patients[patientId];
        return (patient.denyMask, patient.emergencyPolicy);
    }

    /// @inheritdoc IConsentManager
    function nonces(uint256 patientId) external view returns (uint256) {
        return _patients[patientId].nonce;
    }

    /// @inheritdoc IConsentManager
    function getEmergencyAccess(uint256 accessId) external view returns (EmergencyAccess memory) {
        return _accesses[accessId];
    }

    /// @inheritdoc IConsentManager
    function isOverdue(uint256 accessId) external view returns (bool) {
        EmergencyAccess storage access = _accesses[accessId];
        return access.orgId != 0 && _isOverdue(access);
    }

    /// @inheritdoc IConsentManager
    function emergencyParameters() external view returns (uint64 window, uint8 dailyCap) {
        return (_emergencyWindow, _dailyCap);
    }

    /// @inheritdoc IConsentManager
    function emergencyAccessCount() external view returns (uint256) {
        return _accessCount;
    }

    /// @inheritdoc IConsentManager
    function recordRegistry() external view returns (IRecordRegistry) {
        return _RECORD_REGISTRY;
    }

    /// @notice The IdentityRegistry this contract asks.
    function identityRegistry() external view returns (IIdentityRegistry) {
        return _IDENTITY;
    }

    /// @notice The EIP-712 domain separator (for off-chain signers and tests).
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ internal: patient actions

    function _checkActor(address account, uint256 patientId) private view {
        (bool canAct, ) = _askIdentity(IIdentityRegistry.canActForPatient.selector, account, patientId, 0);
        if (!canAct) revert ConsentUnauthorized(account, patientId);
    }

    /// @dev Asks the registry `selector(account, patientId, orgId)` (a two-argument view ignores the third
    ///      word) and returns the first two words of its answer as bools (`second` stays false for a view
    ///      returning one). Every patient action pays this call, hence assembly: the arguments are written
    ///      past the free memory pointer (not reserved), the answer lands in scratch space (zeroed first),
    ///      and nothing is re-decoded. The registry's views do not revert; a failed call bubbles its data.
    function _askIdentity(
        bytes4 selector,
        address account,
        uint256 patientId,
        uint256 orgId
    ) private view returns (bool first, bool second) {
        IIdentityRegistry identity = _IDENTITY;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), and(account, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(add(ptr, 0x24), patientId)
            mstore(add(ptr, 0x44), orgId)
            mstore(0x00, 0)
            mstore(0x20, 0)
            if iszero(staticcall(gas(), identity, ptr, 0x64, 0x00, 0x40)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            first := eq(mload(0x00), 1)
            second := eq(mload(0x20), 1)
        }
    }

    /// @dev Whether `orgId` is an active Provider (status Active, licence running) holding EMERGENCY_ACCESS:
    ///      `getOrganization(orgId)` read in assembly, as `_askIdentity` does (the break-glass path of
    ///      `logAccess` pays it): only the four words asked are read, none is re-decoded. The answer is
    ///      written past the free memory pointer (not reserved); a failed call bubbles its data.
    function _isEmergencyProvider(uint256 orgId) private view returns (bool ok) {
        IIdentityRegistry identity = _IDENTITY;
        bytes4 selector = IIdentityRegistry.getOrganization.selector;
        uint256 provider = uint256(IIdentityRegistry.OrgKind.Provider);
        uint256 active = uint256(IIdentityRegistry.OrgStatus.Active);
        uint256 capability = Capabilities.EMERGENCY_ACCESS;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 0x04), orgId)
            if iszero(staticcall(gas(), identity, ptr, 0x24, ptr, 0x80)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
            // Words: kind, status, validUntil, capabilities (then the GS1 prefix, unused here).
            ok := and(
                and(gt(returndatasize(), 0x7f), and(eq(mload(ptr), provider), eq(mload(add(ptr, 0x20)), active))),
                and(gt(mload(add(ptr, 0x40)), timestamp()), iszero(iszero(and(mload(add(ptr, 0x60)), capability))))
            )
        }
    }

    /// @dev Consumes the patient's current nonce and returns it.
    function _useNonce(uint256 patientId) private returns (uint256 nonce) {
        PatientState storage patient = _patients[patientId];
        nonce = patient.nonce;
        unchecked {
            // A uint64 nonce bumped once per transaction cannot reach 2^64.
            patient.nonce = uint64(nonce + 1);
        }
    }

    /// @dev Checks a patient action's signature (deadline, nonce, signer's authority now, signature in
    ///      this domain) and consumes the nonce. Each failure has its own error.
    function _useSignature(
        uint256 patientId,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes32 structHash,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert ConsentSignatureExpired(deadline, block.timestamp);
        uint256 expected = _useNonce(patientId);
        if (nonce != expected) revert ConsentInvalidNonce(patientId, nonce, expected);
        _checkActor(signer, patientId);
        bytes32 digest = _hashTypedDataV4(structHash);
        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            (address recovered, , ) = ECDSA.tryRecover(digest, signature);
            revert ConsentInvalidSignature(signer, recovered);
        }
    }

    /// @dev `grantWithSig`'s effects, in their own stack frame (the signed path asks the grantee's status
    ///      apart: its authority check is the signer's, in `_useSignature`).
    function _grantSigned(uint256 patientId, uint256 granteeOrg, Grant calldata terms) private {
        _grant(
            patientId,
            granteeOrg,
            terms.scopes,
            terms.actions,
            terms.purposes,
            terms.notBefore,
            terms.expiresAt,
            _IDENTITY.isActiveOrganization(granteeOrg)
        );
    }

    /// @dev The terms come as values, not a `Grant` in memory: the direct `grant` then builds no struct.
    function _grant(
        uint256 patientId,
        uint256 granteeOrg,
        uint32 scopes,
        uint8 actions,
        uint8 purposes,
        uint64 notBefore,
        uint64 expiresAt,
        bool granteeActive
    ) private {
        // Each mask is non-empty and within its set (`Scopes.isValid`, inlined: the sets are contiguous
        // low bits, so a valid mask lies in 1 ..= ALL).
        if (
            scopes == 0 ||
            scopes > Scopes.ALL_CATEGORIES ||
            actions == 0 ||
            actions > Scopes.ALL_ACTIONS ||
            purposes == 0 ||
            purposes > Scopes.ALL_PURPOSES
        ) {
            revert ConsentInvalidGrant(scopes, actions, purposes);
        }
        if (expiresAt <= block.timestamp || expiresAt <= notBefore) {
            revert ConsentInvalidWindow(notBefore, expiresAt, block.timestamp);
        }
        if (!granteeActive) revert ConsentInactiveOrganization(granteeOrg);
        Grant storage g = _grants[patientId][granteeOrg];
        g.scopes = scopes;
        g.actions = actions;
        g.purposes = purposes;
        g.notBefore = notBefore;
        g.expiresAt = expiresAt;
        emit ConsentGranted(patientId, granteeOrg, Scopes.redact(scopes), actions, purposes, notBefore, expiresAt);
    }

    function _revoke(uint256 patientId, uint256 granteeOrg) private {
        Grant storage g = _grants[patientId][granteeOrg];
        if (g.expiresAt == 0) revert ConsentNoGrant(patientId, granteeOrg);
        // A grant is one slot (its unused high bytes are always zero): clear the whole word at once,
        // without `delete`'s second mapping lookup and read-modify-write.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(g.slot, 0)
        }
        emit ConsentRevoked(patientId, granteeOrg);
    }

    function _setDenyMask(uint256 patientId, uint32 denyMask, uint8 emergencyPolicy) private {
        if (
            denyMask & ~Scopes.ALL_CATEGORIES != 0 ||
            emergencyPolicy & ~(EMERGENCY_OPT_OUT | EMERGENCY_OVERRIDES_DENY) != 0
        ) {
            revert ConsentInvalidPolicy(denyMask, emergencyPolicy);
        }
        PatientState storage patient = _patients[patientId];
        // While paused only a restriction passes (the patient can always deny more or opt out).
        if (paused() && !_onlyRestricts(patient.denyMask, patient.emergencyPolicy, denyMask, emergencyPolicy)) {
            revert EnforcedPause();
        }
        patient.denyMask = denyMask;
        patient.emergencyPolicy = emergencyPolicy;
        // Opting out stops every open break-glass window at once (`_isOpen`), for good.
        if (emergencyPolicy & EMERGENCY_OPT_OUT != 0) patient.optedOutAt = uint64(block.timestamp);
        emit DenyMaskSet(patientId, Scopes.redact(denyMask), emergencyPolicy);
    }

    /// @dev Whether the policy (`denyMask`, `emergencyPolicy`) allows nothing that (`oldMask`, `oldPolicy`)
    ///      did not: every denied category stays denied, and break-glass access either is opted out of
    ///      now, or was allowed before and does not newly override the deny mask.
    function _onlyRestricts(
        uint32 oldMask,
        uint8 oldPolicy,
        uint32 denyMask,
        uint8 emergencyPolicy
    ) private pure returns (bool) {
        return
            oldMask & ~denyMask == 0 &&
            (emergencyPolicy & EMERGENCY_OPT_OUT != 0 ||
                (oldPolicy & EMERGENCY_OPT_OUT == 0 &&
                    (emergencyPolicy & EMERGENCY_OVERRIDES_DENY == 0 || oldPolicy & EMERGENCY_OVERRIDES_DENY != 0)));
    }

    // ------------------------------------------------------------------ internal: break-glass

    /// @dev A window counts while its term runs and it was opened after the patient's last opt-out.
    function _isOpen(EmergencyWindow memory window, PatientState memory patient) private view returns (bool) {
        return block.timestamp < window.closesAt && window.openedAt > patient.optedOutAt;
    }

    /// @dev At most `_dailyCap` openings per organisation in any 24 h: the ring keeps the times of the
    ///      last MAX_DAILY_CAP openings, and the one `_dailyCap` openings back must be a day old.
    function _countOpening(uint256 orgId) private {
        uint256 count = _openingCount[orgId];
        uint8 cap = _dailyCap;
        if (count >= cap) {
            uint256 dayAfter = uint256(_openedAt[orgId][(count - cap) % MAX_DAILY_CAP]) + 1 days;
            if (dayAfter > block.timestamp) revert ConsentEmergencyDailyCap(orgId, cap, dayAfter);
        }
        _openedAt[orgId][count % MAX_DAILY_CAP] = uint64(block.timestamp);
        _openingCount[orgId] = count + 1;
    }

    function _checkAccess(uint256 accessId) private view returns (EmergencyAccess storage access) {
        access = _accesses[accessId];
        if (access.orgId == 0) revert ConsentUnknownEmergencyAccess(accessId);
    }

    function _checkOpenAccess(uint256 accessId) private view returns (EmergencyAccess storage access) {
        access = _checkAccess(accessId);
        if (access.closesAt <= block.timestamp) revert ConsentEmergencyClosed(accessId, access.closesAt);
    }

    function _close(uint256 accessId, EmergencyAccess storage access, address by) private {
        access.closesAt = uint64(block.timestamp);
        _windows[access.patientId][access.orgId].closesAt = uint64(block.timestamp);
        emit EmergencyAccessClosed(accessId, by);
    }

    function _isOverdue(EmergencyAccess storage access) private view returns (bool) {
        return !access.justified && block.timestamp > access.openedAt + JUSTIFICATION_PERIOD;
    }
}
