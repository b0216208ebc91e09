// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessManaged} from "@openzeppelin/contracts/access/manager/AccessManaged.sol";
import {IAccessManager} from "@openzeppelin/contracts/access/manager/IAccessManager.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IIdentityRegistry} from "../interfaces/IIdentityRegistry.sol";
import {Roles} from "../governance/Roles.sol";

/// @title IdentityRegistry
/// @notice Accredited organisations and pseudonymous patients. Every other MedChain contract asks its
///         views, so a suspension, revocation or licence expiry takes effect everywhere at once.
/// @dev Not upgradeable. Governed by one AccessManager: `registerOrganization` and `proposeRecovery`
///      are wired to REGISTRAR, `pause` to PAUSER, `setRegistrarKinds` and `unpause` to ADMIN.
///      Status changes are open to a registrar of the organisation's kind or to a REGULATOR, checked
///      here against the same AccessManager.
contract IdentityRegistry is IIdentityRegistry, AccessManaged, Pausable, EIP712 {
    // ------------------------------------------------------------------ types

    /// @dev What an account is bound to, in one slot. A controller's patient is `_controlledPatient`
    ///      (one slot, set exactly while it is a controller: `isController` reads it and nothing else).
    ///      A patient's controllers form a list threaded through these slots, from
    ///      `Patient.firstController` along `nextController` (0 at its end): at most MAX_CONTROLLERS long,
    ///      so a recovery clears it in a bounded loop, and adding a controller writes no extra slot.
    struct Account {
        AccountRole role;
        uint64 orgId;
        address nextController;
    }

    /// @dev `Reserved`: the new key of a pending recovery. Nobody can bind it meanwhile, so a stranger
    ///      cannot block a recovery by binding its target to another identity during the 72 hours.
    enum AccountRole {
        None,
        Operator,
        Controller,
        Reserved
    }

    /// @dev One slot per patient, with the head of its controllers' list.
    struct Patient {
        bool exists;
        uint8 controllerCount;
        uint64 nonce;
        address firstController;
    }

    struct EncryptionKey {
        bytes1 prefix;
        bytes32 x;
    }

    // ------------------------------------------------------------------ constants

    /// @inheritdoc IIdentityRegistry
    uint64 public constant RECOVERY_DELAY = 72 hours;
    /// @inheritdoc IIdentityRegistry
    uint8 public constant MAX_CONTROLLERS = 8;
    /// @inheritdoc IIdentityRegistry
    uint64 public constant OPERATOR_OFFER_WINDOW = 7 days;

    /// @dev The field prime of secp256k1, and the exponent (p + 1) / 4 that gives a square root mod p.
    uint256 private constant _P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    uint256 private constant _SQRT_EXPONENT = 0x3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFBFFFFF0C;

    bytes32 public constant PATIENT_ATTESTATION_TYPEHASH =
        keccak256("PatientAttestation(bytes32 commitment,address controller,uint256 patientId,uint256 deadline)");
    bytes32 public constant SET_CONTROLLER_TYPEHASH =
        keccak256("SetController(uint256 patientId,address account,bool enabled,uint256 nonce,uint256 deadline)");
    bytes32 public constant ROTATE_KEY_TYPEHASH =
        keccak256("RotateKey(uint256 patientId,address newController,uint256 nonce,uint256 deadline)");
    bytes32 public constant SET_GUARDIAN_TYPEHASH =
        keccak256("SetGuardian(uint256 patientId,address guardian,uint64 validUntil,uint256 nonce,uint256 deadline)");
    bytes32 public constant CANCEL_RECOVERY_TYPEHASH =
        keccak256("CancelRecovery(uint256 patientId,uint256 nonce,uint256 deadline)");
    bytes32 public constant SET_ENCRYPTION_KEY_TYPEHASH =
        keccak256("SetEncryptionKey(uint256 patientId,bytes1 prefix,bytes32 x,uint256 nonce,uint256 deadline)");

    // ------------------------------------------------------------------ storage

    uint256 private _organizationCount;
    mapping(uint256 orgId => Organization) private _organizations;
    mapping(address registrar => uint16 kinds) private _registrarKinds;
    mapping(address account => Account) private _accounts;
    /// @dev The patient a controller controls; 0 for every other account (deleted when it stops).
    mapping(address account => uint256 patientId) private _controlledPatient;
    mapping(address account => EncryptionKey) private _encryptionKeys;
    mapping(uint256 patientId => Patient) private _patients;
    mapping(uint256 patientId => mapping(address guardian => uint64 validUntil)) private _guardians;
    mapping(uint256 patientId => Recovery) private _recoveries;
    mapping(bytes32 commitment => bool) private _usedCommitments;
    /// @dev Offers to become an operator, per organisation and account (several organisations may court one
    ///      account; none binds it until it accepts).
    mapping(uint256 orgId => mapping(address account => OperatorOffer)) private _operatorOffers;

    // ------------------------------------------------------------------ constructor

    constructor(address initialAuthority) AccessManaged(initialAuthority) EIP712("MedChain IdentityRegistry", "1") {}

    // ------------------------------------------------------------------ ADMIN / PAUSER

    /// @inheritdoc IIdentityRegistry
    function setRegistrarKinds(address registrar, uint16 kinds) external restricted {
        _registrarKinds[registrar] = kinds;
        emit RegistrarKindsSet(registrar, kinds);
    }

    /// @inheritdoc IIdentityRegistry
    function pause() external restricted {
        _pause();
    }

    /// @inheritdoc IIdentityRegistry
    function unpause() external restricted {
        _unpause();
    }

    // ------------------------------------------------------------------ organisations

    /// @inheritdoc IIdentityRegistry
    function registerOrganization(
        OrgKind kind,
        uint32 capabilities,
        uint64 validUntil,
        bytes32 profileHash,
        address firstOperator
    ) external restricted whenNotPaused returns (uint256 orgId) {
        if (kind == OrgKind.None) revert IdentityInvalidKind(kind);
        if (!_kindAllowed(msg.sender, kind)) revert IdentityKindNotAllowed(msg.sender, kind);
        _checkFuture(validUntil);
        orgId = ++_organizationCount;
        _organizations[orgId] = Organization({
            kind: kind,
            status: OrgStatus.Active,
            validUntil: validUntil,
            capabilities: capabilities,
            companyPrefix: 0,
            prefixLength: 0
        });
        emit OrganizationRegistered(orgId, kind, msg.sender, capabilities, validUntil, profileHash);
        _offerOperator(orgId, firstOperator);
    }

    /// @inheritdoc IIdentityRegistry
    function updateOrganization(
        uint256 orgId,
        uint32 capabilities,
        uint64 validUntil,
        bytes32 profileHash
    ) external whenNotPaused {
        Organization storage org = _checkRegistrarOf(orgId);
        _checkFuture(validUntil);
        org.capabilities = capabilities;
        org.validUntil = validUntil;
        emit OrganizationUpdated(orgId, capabilities, validUntil, profileHash);
    }

    /// @inheritdoc IIdentityRegistry
    function setCompanyPrefix(uint256 orgId, uint40 companyPrefix, uint8 prefixLength) external whenNotPaused {
        Organization storage org = _checkRegistrarOf(orgId);
        if (org.kind != OrgKind.Manufacturer) revert IdentityNotManufacturer(orgId, org.kind);
        if (prefixLength < 6 || prefixLength > 12 || companyPrefix >= 10 ** uint256(prefixLength)) {
            revert IdentityInvalidCompanyPrefix(companyPrefix, prefixLength);
        }
        org.companyPrefix = companyPrefix;
        org.prefixLength = prefixLength;
        emit CompanyPrefixSet(orgId, companyPrefix, prefixLength);
    }

    /// @inheritdoc IIdentityRegistry
    function suspendOrganization(uint256 orgId, bytes32 reasonHash) external whenNotPaused {
        _changeStatus(orgId, OrgStatus.Active, OrgStatus.Suspended, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function reinstateOrganization(uint256 orgId, bytes32 reasonHash) external whenNotPaused {
        _changeStatus(orgId, OrgStatus.Suspended, OrgStatus.Active, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function revokeOrganization(uint256 orgId, bytes32 reasonHash) external whenNotPaused {
        Organization storage org = _checkStatusAuthority(orgId);
        if (org.status == OrgStatus.Revoked)
            revert IdentityInvalidStatusTransition(orgId, org.status, OrgStatus.Revoked);
        org.status = OrgStatus.Revoked;
        emit OrganizationStatusChanged(orgId, OrgStatus.Revoked, msg.sender, reasonHash);
    }

    /// @inheritdoc IIdentityRegistry
    function addOperator(uint256 orgId, address account) external whenNotPaused {
        _requireActive(orgId, _checkOperatorManager(orgId));
        _offerOperator(orgId, account);
    }

    /// @inheritdoc IIdentityRegistry
    function acceptOperator(uint256 orgId) external whenNotPaused {
        OperatorOffer memory offer = _operatorOffers[orgId][msg.sender];
        if (offer.expiresAt == 0) revert IdentityNoOperatorOffer(msg.sender, orgId);
        if (offer.expiresAt <= block.timestamp) {
            revert IdentityOperatorOfferExpired(msg.sender, orgId, offer.expiresAt, block.timestamp);
        }
        _requireActive(orgId, _organizations[orgId]);
        _checkUnbound(msg.sender);
        delete _operatorOffers[orgId][msg.sender];
        _accounts[msg.sender] = Account({role: AccountRole.Operator, orgId: uint64(orgId), nextController: address(0)});
        emit OperatorAdded(orgId, msg.sender, offer.offeredBy);
    }

    /// @inheritdoc IIdentityRegistry
    function withdrawOperatorOffer(uint256 orgId, address account) external whenNotPaused {
        _checkOperatorManager(orgId);
        if (_operatorOffers[orgId][account].expiresAt == 0) revert IdentityNoOperatorOffer(account, orgId);
        delete _operatorOffers[orgId][account];
        emit OperatorOfferWithdrawn(orgId, account, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function removeOperator(uint256 orgId, address account) external whenNotPaused {
        _checkOperatorManager(orgId);
        Account storage acct = _accounts[account];
        if (acct.role != AccountRole.Operator || acct.orgId != orgId) revert IdentityNotOperator(account, orgId);
        delete _accounts[account];
        emit OperatorRemoved(orgId, account, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function setEncryptionKey(bytes1 prefix, bytes32 x) external whenNotPaused {
        AccountRole role = _accounts[msg.sender].role;
        if (role == AccountRole.Controller) {
            _useNonce(_controlledPatient[msg.sender]); // a patient action, like every other
        } else if (role != AccountRole.Operator) {
            revert IdentityUnboundAccount(msg.sender);
        }
        _setEncryptionKey(msg.sender, prefix, x);
    }

    /// @inheritdoc IIdentityRegistry
    function setEncryptionKeyWithSig(
        uint256 patientId,
        bytes1 prefix,
        bytes32 x,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _checkController(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(SET_ENCRYPTION_KEY_TYPEHASH, patientId, prefix, x, nonce, deadline)),
            deadline,
            signature
        );
        _setEncryptionKey(signer, prefix, x);
    }

    // ------------------------------------------------------------------ patients

    /// @inheritdoc IIdentityRegistry
    function registerPatient(
        uint256 patientId,
        bytes32 uniquenessCommitment,
        address controller,
        uint256 deadline,
        address registrar,
        bytes calldata signature
    ) external whenNotPaused {
        if (patientId == 0) revert IdentityZeroPatientId();
        if (_patients[patientId].exists) revert IdentityPatientExists(patientId);
        if (_usedCommitments[uniquenessCommitment]) revert IdentityCommitmentUsed(uniquenessCommitment);
        if (!_hasRole(Roles.REGISTRAR, registrar)) revert IdentityAttesterNotRegistrar(registrar);
        bytes32 structHash = keccak256(
            abi.encode(PATIENT_ATTESTATION_TYPEHASH, uniquenessCommitment, controller, patientId, deadline)
        );
        _checkSignature(registrar, structHash, deadline, signature);

        _usedCommitments[uniquenessCommitment] = true;
        _patients[patientId] = Patient({exists: true, controllerCount: 0, nonce: 0, firstController: address(0)});
        emit PatientRegistered(patientId, controller, registrar);
        _bindController(patientId, controller);
    }

    /// @inheritdoc IIdentityRegistry
    function setController(uint256 patientId, address account, bool enabled) external whenNotPaused {
        _checkController(msg.sender, patientId);
        _useNonce(patientId);
        _setController(patientId, account, enabled);
    }

    /// @inheritdoc IIdentityRegistry
    function setControllerWithSig(
        uint256 patientId,
        address account,
        bool enabled,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _checkController(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(SET_CONTROLLER_TYPEHASH, patientId, account, enabled, nonce, deadline)),
            deadline,
            signature
        );
        _setController(patientId, account, enabled);
    }

    /// @inheritdoc IIdentityRegistry
    function rotateKey(uint256 patientId, address newController) external whenNotPaused {
        _checkController(msg.sender, patientId);
        _useNonce(patientId);
        _rotateKey(patientId, msg.sender, newController);
    }

    /// @inheritdoc IIdentityRegistry
    function rotateKeyWithSig(
        uint256 patientId,
        address newController,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused {
        _checkController(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(ROTATE_KEY_TYPEHASH, patientId, newController, nonce, deadline)),
            deadline,
            signature
        );
        _rotateKey(patientId, signer, newController);
    }

    /// @inheritdoc IIdentityRegistry
    function setGuardian(uint256 patientId, address guardian, uint64 validUntil) external {
        _checkController(msg.sender, patientId);
        _useNonce(patientId);
        _setGuardian(patientId, guardian, validUntil);
    }

    /// @inheritdoc IIdentityRegistry
    function setGuardianWithSig(
        uint256 patientId,
        address guardian,
        uint64 validUntil,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _checkController(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(SET_GUARDIAN_TYPEHASH, patientId, guardian, validUntil, nonce, deadline)),
            deadline,
            signature
        );
        _setGuardian(patientId, guardian, validUntil);
    }

    /// @inheritdoc IIdentityRegistry
    function proposeRecovery(uint256 patientId, address newController) external restricted whenNotPaused {
        _checkPatient(patientId);
        if (_recoveries[patientId].executableAt != 0) revert IdentityRecoveryPending(patientId);
        _checkUnbound(newController);
        _accounts[newController] = Account({role: AccountRole.Reserved, orgId: 0, nextController: address(0)});
        uint64 executableAt = uint64(block.timestamp) + RECOVERY_DELAY;
        _recoveries[patientId] = Recovery(newController, executableAt);
        emit RecoveryProposed(patientId, newController, msg.sender, executableAt);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelRecovery(uint256 patientId) external {
        _checkActor(msg.sender, patientId);
        _useNonce(patientId);
        _cancelRecovery(patientId, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function cancelRecoveryWithSig(
        uint256 patientId,
        address signer,
        uint256 deadline,
        bytes calldata signature
    ) external {
        _checkActor(signer, patientId);
        uint256 nonce = _useNonce(patientId);
        _checkSignature(
            signer,
            keccak256(abi.encode(CANCEL_RECOVERY_TYPEHASH, patientId, nonce, deadline)),
            deadline,
            signature
        );
        _cancelRecovery(patientId, signer);
    }

    /// @inheritdoc IIdentityRegistry
    function executeRecovery(uint256 patientId) external whenNotPaused {
        Recovery memory recovery = _recoveries[patientId];
        if (recovery.executableAt == 0) revert IdentityNoRecoveryPending(patientId);
        if (block.timestamp < recovery.executableAt) {
            revert IdentityRecoveryNotReady(patientId, recovery.executableAt);
        }
        delete _recoveries[patientId];
        delete _accounts[recovery.newController]; // the reservation becomes the binding below
        Patient storage patient = _patients[patientId];
        // Retire every earlier controller, walking its list: at most MAX_CONTROLLERS (recovery is rare).
        address retired = patient.firstController;
        uint256 count = patient.controllerCount;
        for (uint256 i; i < count; ++i) {
            address next = _accounts[retired].nextController;
            delete _accounts[retired];
            delete _controlledPatient[retired];
            retired = next;
        }
        patient.firstController = address(0);
        patient.controllerCount = 0;
        ++patient.nonce;
        emit RecoveryExecuted(patientId, recovery.newController);
        _bindController(patientId, recovery.newController);
    }

    // ------------------------------------------------------------------ views other contracts use

    /// @inheritdoc IIdentityRegistry
    function isActiveOrganization(uint256 orgId) public view returns (bool) {
        // Both fields read before the test, so the optimizer loads the slot once (no memory copy).
        Organization storage org = _organizations[orgId];
        (OrgStatus status, uint64 validUntil) = (org.status, org.validUntil);
        return status == OrgStatus.Active && validUntil > block.timestamp;
    }

    /// @inheritdoc IIdentityRegistry
    function actorAndOrganization(
        address account,
        uint256 patientId,
        uint256 orgId
    ) external view returns (bool canAct, bool orgActive) {
        return (canActForPatient(account, patientId), isActiveOrganization(orgId));
    }

    /// @inheritdoc IIdentityRegistry
    function organizationOf(address account) external view returns (uint256 orgId) {
        Account memory acct = _accounts[account];
        if (acct.role == AccountRole.Operator) orgId = acct.orgId;
    }

    /// @inheritdoc IIdentityRegistry
    function activeOrganizationOf(address account) public view returns (uint256 orgId, Organization memory org) {
        Account memory acct = _accounts[account];
        if (acct.role != AccountRole.Operator) return (0, org);
        org = _organizations[acct.orgId];
        if (_isActive(org)) orgId = acct.orgId;
    }

    /// @inheritdoc IIdentityRegistry
    function hasCapability(address account, uint32 capabilities) external view returns (bool) {
        (uint256 orgId, Organization memory org) = activeOrganizationOf(account);
        return orgId != 0 && org.capabilities & capabilities == capabilities;
    }

    /// @inheritdoc IIdentityRegistry
    function patientOf(address account) external view returns (uint256) {
        return _controlledPatient[account];
    }

    /// @inheritdoc IIdentityRegistry
    function canActForPatient(address account, uint256 patientId) public view returns (bool) {
        return isController(account, patientId) || _guardians[patientId][account] > block.timestamp;
    }

    /// @inheritdoc IIdentityRegistry
    function activeRoleOf(address account) external view returns (uint256 orgId, OrgKind kind, uint32 capabilities) {
        // Storage pointers, not memory copies: each slot is read once, and only the fields asked for.
        Account storage acct = _accounts[account];
        if (acct.role != AccountRole.Operator) return (0, OrgKind.None, 0);
        orgId = acct.orgId;
        Organization storage org = _organizations[orgId];
        if (org.status != OrgStatus.Active || org.validUntil <= block.timestamp) return (0, OrgKind.None, 0);
        return (orgId, org.kind, org.capabilities);
    }

    /// @inheritdoc IIdentityRegistry
    function requireActiveOrganization(address account) external view returns (uint256 orgId) {
        Account storage acct = _accounts[account];
        if (acct.role != AccountRole.Operator) return 0;
        orgId = acct.orgId;
        _requireActive(orgId, _organizations[orgId]);
    }

    /// @inheritdoc IIdentityRegistry
    function requireActiveOrganizationId(uint256 orgId) external view {
        _requireActive(orgId, _checkOrganization(orgId));
    }

    // ------------------------------------------------------------------ other views

    /// @inheritdoc IIdentityRegistry
    function getOrganization(uint256 orgId) external view returns (Organization memory) {
        return _organizations[orgId];
    }

    /// @inheritdoc IIdentityRegistry
    function organizationCount() external view returns (uint256) {
        return _organizationCount;
    }

    /// @inheritdoc IIdentityRegistry
    function registrarKinds(address registrar) external view returns (uint16) {
        return _registrarKinds[registrar];
    }

    /// @inheritdoc IIdentityRegistry
    function encryptionKeyOf(address account) external view returns (bytes1 prefix, bytes32 x) {
        if (!_isBound(account)) return (0, 0); // a removed operator's key must not receive new records
        EncryptionKey memory key = _encryptionKeys[account];
        return (key.prefix, key.x);
    }

    /// @inheritdoc IIdentityRegistry
    function operatorOffer(uint256 orgId, address account) external view returns (OperatorOffer memory) {
        return _operatorOffers[orgId][account];
    }

    /// @inheritdoc IIdentityRegistry
    function isPatient(uint256 patientId) external view returns (bool) {
        return _patients[patientId].exists;
    }

    /// @inheritdoc IIdentityRegistry
    function isController(address account, uint256 patientId) public view returns (bool) {
        // One slot, on every patient action of every MedChain contract. No patient has id 0.
        return patientId != 0 && _controlledPatient[account] == patientId;
    }

    /// @inheritdoc IIdentityRegistry
    function guardianUntil(uint256 patientId, address guardian) external view returns (uint64) {
        return _guardians[patientId][guardian];
    }

    /// @inheritdoc IIdentityRegistry
    function isCommitmentUsed(bytes32 commitment) external view returns (bool) {
        return _usedCommitments[commitment];
    }

    /// @inheritdoc IIdentityRegistry
    function nonces(uint256 patientId) external view returns (uint256) {
        return _patients[patientId].nonce;
    }

    /// @inheritdoc IIdentityRegistry
    function pendingRecovery(uint256 patientId) external view returns (Recovery memory) {
        return _recoveries[patientId];
    }

    /// @notice The EIP-712 domain separator (for off-chain signers and tests).
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ------------------------------------------------------------------ internal: organisations

    function _isActive(Organization memory org) private view returns (bool) {
        return org.status == OrgStatus.Active && org.validUntil > block.timestamp;
    }

    function _kindAllowed(address registrar, OrgKind kind) private view returns (bool) {
        return (_registrarKinds[registrar] >> uint8(kind)) & 1 == 1;
    }

    function _hasRole(uint64 roleId, address account) private view returns (bool isMember) {
        (isMember, ) = IAccessManager(authority()).hasRole(roleId, account);
    }

    function _isRegistrarOf(address account, OrgKind kind) private view returns (bool) {
        return _kindAllowed(account, kind) && _hasRole(Roles.REGISTRAR, account);
    }

    function _checkOrganization(uint256 orgId) private view returns (Organization storage org) {
        org = _organizations[orgId];
        if (org.kind == OrgKind.None) revert IdentityUnknownOrganization(orgId);
    }

    /// @dev The caller is a registrar (role held now) allowed for the organisation's kind.
    function _checkRegistrarOf(uint256 orgId) private view returns (Organization storage org) {
        org = _checkOrganization(orgId);
        if (!_isRegistrarOf(msg.sender, org.kind)) revert IdentityKindNotAllowed(msg.sender, org.kind);
    }

    /// @dev The caller is the kind's registrar or a REGULATOR.
    function _checkStatusAuthority(uint256 orgId) private view returns (Organization storage org) {
        org = _checkOrganization(orgId);
        if (!_isRegistrarOf(msg.sender, org.kind) && !_hasRole(Roles.REGULATOR, msg.sender)) {
            revert IdentityUnauthorized(msg.sender, orgId);
        }
    }

    /// @dev The caller is an operator of `orgId` or its kind's registrar.
    function _checkOperatorManager(uint256 orgId) private view returns (Organization storage org) {
        org = _checkOrganization(orgId);
        Account memory acct = _accounts[msg.sender];
        if (acct.role == AccountRole.Operator && acct.orgId == orgId) return org;
        if (!_isRegistrarOf(msg.sender, org.kind)) revert IdentityNotOperator(msg.sender, orgId);
    }

    /// @dev Refuses an organisation that cannot act, naming it and why (its status, or its licence's end).
    function _requireActive(uint256 orgId, Organization storage org) private view {
        OrgStatus status = org.status;
        if (status != OrgStatus.Active) revert IdentityOrganizationNotActive(orgId, status);
        uint64 validUntil = org.validUntil;
        if (validUntil <= block.timestamp) revert IdentityOrganizationExpired(orgId, validUntil, block.timestamp);
    }

    function _changeStatus(uint256 orgId, OrgStatus from, OrgStatus to, bytes32 reasonHash) private {
        Organization storage org = _checkStatusAuthority(orgId);
        if (org.status != from) revert IdentityInvalidStatusTransition(orgId, org.status, to);
        org.status = to;
        emit OrganizationStatusChanged(orgId, to, msg.sender, reasonHash);
    }

    /// @dev An offer binds nothing (so it cannot front-run the account's own registration, rotation or
    ///      recovery); the account is checked unbound now for early feedback, and again when it accepts.
    function _offerOperator(uint256 orgId, address account) private {
        _checkUnbound(account);
        uint64 expiresAt = uint64(block.timestamp) + OPERATOR_OFFER_WINDOW;
        _operatorOffers[orgId][account] = OperatorOffer({offeredBy: msg.sender, expiresAt: expiresAt});
        emit OperatorOffered(orgId, account, msg.sender, expiresAt);
    }

    function _checkFuture(uint64 validUntil) private view {
        if (validUntil <= block.timestamp) revert IdentityValidUntilInPast(validUntil, block.timestamp);
    }

    // ------------------------------------------------------------------ internal: accounts

    /// @dev Stores `account`'s encryption key after checking it is a point of secp256k1 other than the
    ///      account's own signing key (the key whose address the account is; a smart account has none).
    function _setEncryptionKey(address account, bytes1 prefix, bytes32 x) private {
        if (prefix != 0x02 && prefix != 0x03) revert IdentityInvalidEncryptionKey(prefix);
        uint256 y = _curveY(prefix, x);
        if (address(uint160(uint256(keccak256(abi.encode(x, y))))) == account) {
            revert IdentityEncryptionKeyIsSigningKey(account);
        }
        _encryptionKeys[account] = EncryptionKey(prefix, x);
        emit EncryptionKeySet(account, prefix, x);
    }

    /// @dev The y of the compressed point (`prefix`, `x`): the square root of x^3 + 7 mod p (the modexp
    ///      precompile, a few thousand gas) with the parity the prefix names. Reverts when x is no point's.
    function _curveY(bytes1 prefix, bytes32 x) private view returns (uint256 y) {
        uint256 xv = uint256(x);
        if (xv >= _P) revert IdentityEncryptionKeyNotOnCurve(prefix, x);
        uint256 rhs = addmod(mulmod(mulmod(xv, xv, _P), xv, _P), 7, _P);
        // An empty answer (the precompile out of gas) fails the decode, so no check of the call's flag.
        (, bytes memory root) = address(0x05).staticcall(
            abi.encode(uint256(32), uint256(32), uint256(32), rhs, _SQRT_EXPONENT, _P)
        );
        y = abi.decode(root, (uint256));
        if (mulmod(y, y, _P) != rhs) revert IdentityEncryptionKeyNotOnCurve(prefix, x);
        // secp256k1 has no point with y = 0 (its order is odd), so P - y is the other root.
        if ((y & 1 == 1) != (prefix == 0x03)) y = _P - y;
    }

    /// @dev An account is bound while it operates for an organisation, controls a patient, or is a
    ///      pending recovery's reserved key (a controller removed, rotated out or retired by a recovery
    ///      has its slot deleted, so it is free again).
    function _isBound(address account) private view returns (bool) {
        return _accounts[account].role != AccountRole.None;
    }

    function _checkUnbound(address account) private view {
        if (account == address(0)) revert IdentityZeroAddress();
        if (_isBound(account)) revert IdentityAccountAlreadyBound(account);
    }

    // ------------------------------------------------------------------ internal: patients

    function _checkPatient(uint256 patientId) private view returns (Patient storage patient) {
        patient = _patients[patientId];
        if (!patient.exists) revert IdentityUnknownPatient(patientId);
    }

    function _checkController(address account, uint256 patientId) private view {
        _checkPatient(patientId);
        if (!isController(account, patientId)) revert IdentityNotController(account, patientId);
    }

    function _checkActor(address account, uint256 patientId) private view {
        _checkPatient(patientId);
        if (!canActForPatient(account, patientId)) revert IdentityNotAuthorizedForPatient(account, patientId);
    }

    /// @dev Consumes the patient's current nonce and returns it (what a signature must have covered).
    function _useNonce(uint256 patientId) private returns (uint256 nonce) {
        Patient storage patient = _patients[patientId];
        nonce = patient.nonce;
        unchecked {
            // A uint64 nonce bumped once per transaction cannot reach 2^64.
            patient.nonce = uint64(nonce + 1);
        }
    }

    function _checkSignature(
        address signer,
        bytes32 structHash,
        uint256 deadline,
        bytes calldata signature
    ) private view {
        if (block.timestamp > deadline) revert IdentityExpiredSignature(deadline, block.timestamp);
        if (!SignatureChecker.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert IdentityInvalidSignature(signer);
        }
    }

    /// @dev Binds `account` as the patient's controller, linked to `next` (the caller links it in).
    function _putController(uint256 patientId, address account, address next) private {
        _checkUnbound(account);
        _accounts[account] = Account({role: AccountRole.Controller, orgId: 0, nextController: next});
        _controlledPatient[account] = patientId;
        emit ControllerSet(patientId, account, true);
    }

    /// @dev A new controller goes first in the list (the patient's slot is written anyway, for its nonce).
    function _bindController(uint256 patientId, address account) private {
        Patient storage patient = _patients[patientId];
        uint8 count = patient.controllerCount;
        if (count == MAX_CONTROLLERS) revert IdentityTooManyControllers(patientId, MAX_CONTROLLERS);
        _putController(patientId, account, patient.firstController);
        patient.firstController = account;
        patient.controllerCount = count + 1;
    }

    /// @dev Frees `account`, a current controller of the patient, and unlinks it from the list.
    function _unbindController(uint256 patientId, address account) private {
        Patient storage patient = _patients[patientId];
        uint8 count = patient.controllerCount;
        if (count == 1) revert IdentityLastController(patientId);
        _relink(patient, account, _accounts[account].nextController);
        patient.controllerCount = count - 1;
        _releaseController(patientId, account);
    }

    /// @dev The link that points at `account` (the patient's first, or its predecessor's next) now points at
    ///      `replacement`. `account` is in the list, so the walk ends within MAX_CONTROLLERS - 1 steps.
    function _relink(Patient storage patient, address account, address replacement) private {
        address first = patient.firstController;
        if (first == account) {
            patient.firstController = replacement;
            return;
        }
        Account storage previous = _accounts[first];
        while (previous.nextController != account) previous = _accounts[previous.nextController];
        previous.nextController = replacement;
    }

    function _releaseController(uint256 patientId, address account) private {
        delete _accounts[account];
        delete _controlledPatient[account];
        emit ControllerSet(patientId, account, false);
    }

    function _setController(uint256 patientId, address account, bool enabled) private {
        if (enabled) {
            _bindController(patientId, account);
        } else {
            if (!isController(account, patientId)) revert IdentityNotController(account, patientId);
            _unbindController(patientId, account);
        }
    }

    /// @dev The new key takes the old key's place in the list (so a patient at MAX_CONTROLLERS rotates too).
    function _rotateKey(uint256 patientId, address oldController, address newController) private {
        _putController(patientId, newController, _accounts[oldController].nextController);
        _relink(_patients[patientId], oldController, newController);
        _releaseController(patientId, oldController);
    }

    /// @dev Setting a guardian is a write (stopped by pause); removing one (validUntil = 0) is not.
    function _setGuardian(uint256 patientId, address guardian, uint64 validUntil) private {
        if (validUntil != 0) {
            _requireNotPaused();
            _checkFuture(validUntil);
            if (guardian == address(0) || isController(guardian, patientId)) {
                revert IdentityInvalidGuardian(patientId, guardian);
            }
        }
        _guardians[patientId][guardian] = validUntil;
        emit GuardianSet(patientId, guardian, validUntil);
    }

    function _cancelRecovery(uint256 patientId, address by) private {
        Recovery memory recovery = _recoveries[patientId];
        if (recovery.executableAt == 0) revert IdentityNoRecoveryPending(patientId);
        delete _recoveries[patientId];
        delete _accounts[recovery.newController]; // release the reservation
        emit RecoveryCancelled(patientId, by);
    }
}
