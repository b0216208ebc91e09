// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "../../utils/Vm.sol";
import {IdentityRegistry} from "../../../contracts/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../../contracts/interfaces/IIdentityRegistry.sol";

/// @title IdentityHandler
/// @notice The only target of the IdentityRegistry invariant campaign. It holds the REGISTRAR and
///         REGULATOR roles (and an attester key that holds REGISTRAR) and drives realistic sequences
///         over a fixed pool of accounts with known keys: accredit organisations and manage their
///         staff and status, register patients, add and remove controllers, rotate keys, set guardians,
///         propose, cancel and execute recoveries, let time pass. Staff join as the registry demands: an
///         operator or the registrar offers, the account accepts (offers never accepted are played by
///         `OperatorOfferHandler`). Three actions are attacks the registry must refuse with the exact
///         error: reusing a commitment, removing a patient's last controller, and (after every signed
///         `setGuardianWithSig`) replaying the signature.
/// @dev Every entry point bounds its inputs to valid values from the handler's own model of the
///      registry, so it never reverts (the campaign runs with failOnRevert = true): a missing
///      precondition is first established through the registry's own functions (an organisation to
///      suspend, a second controller to remove, a pending recovery to execute, a free account to
///      bind). The one entry point that can have nothing to do is `registerPatient` once the pool
///      holds MAX_PATIENTS patients (a skip, counted). `called[a]` counts the fuzzer's calls of
///      action `a`, `succeeded[a]` the calls whose own action went through; set-up steps done on
///      the way are counted in `setupSteps`, not as successes.
contract IdentityHandler {
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    // ---------------------------------------------------------------- actions

    uint256 public constant REGISTER_ORGANIZATION = 0;
    uint256 public constant UPDATE_ORGANIZATION = 1;
    uint256 public constant ADD_OPERATOR = 2;
    uint256 public constant REMOVE_OPERATOR = 3;
    uint256 public constant SUSPEND_ORGANIZATION = 4;
    uint256 public constant REINSTATE_ORGANIZATION = 5;
    uint256 public constant REVOKE_ORGANIZATION = 6;
    uint256 public constant REGISTER_PATIENT = 7;
    uint256 public constant REUSE_COMMITMENT = 8;
    uint256 public constant ADD_CONTROLLER = 9;
    uint256 public constant REMOVE_CONTROLLER = 10;
    uint256 public constant ROTATE_KEY = 11;
    uint256 public constant SET_GUARDIAN = 12;
    uint256 public constant PROPOSE_RECOVERY = 13;
    uint256 public constant CANCEL_RECOVERY = 14;
    uint256 public constant EXECUTE_RECOVERY = 15;
    uint256 public constant PASS_TIME = 16;
    uint256 public constant REMOVE_LAST_CONTROLLER = 17;
    uint256 public constant ACTION_COUNT = 18;

    uint256 public constant POOL_SIZE = 10;
    /// @dev Fewer patients than half the pool: a bound account can then always be freed (an operator
    ///      removed, a second controller removed, or a pending recovery cancelled), so no action starves.
    uint256 public constant MAX_PATIENTS = 5;
    uint256 internal constant SIGNATURE_VALIDITY = 1 hours;

    uint8 internal constant ANY = 0;
    uint8 internal constant ACTIVE = 1;
    uint8 internal constant SUSPENDED = 2;
    uint8 internal constant NOT_REVOKED = 3;

    error HandlerPoolExhausted();
    error HandlerUnexpectedSuccess(uint256 action);
    error HandlerUnexpectedRevert(uint256 action, bytes reason);

    // ---------------------------------------------------------------- set-up

    IdentityRegistry public immutable registry;
    address public immutable attester;
    uint256 internal immutable _attesterKey;
    bytes32 internal immutable _domainSeparator;

    address[POOL_SIZE] internal _pool;
    mapping(address account => uint256 key) internal _keyOf;

    // ---------------------------------------------------------------- model of the registry

    mapping(address account => uint256 orgId) public modelOrganizationOf;
    mapping(address account => uint256 patientId) public modelPatientOf;
    /// @dev Target of a pending recovery: never bound by the handler meanwhile.
    mapping(address account => bool) public reservedForRecovery;
    uint256[] internal _orgIds;
    mapping(uint256 orgId => IIdentityRegistry.OrgStatus) public modelStatus;
    mapping(uint256 orgId => uint64) internal _modelValidUntil;
    uint256[] internal _patientIds;
    bytes32[] internal _commitments;
    mapping(uint256 patientId => uint256) public ghostControllerCount;
    mapping(uint256 patientId => uint256) public ghostNonce;
    mapping(uint256 patientId => address) public ghostRecoveryTarget;
    mapping(uint256 patientId => uint64) public ghostRecoveryAt;
    mapping(uint256 patientId => mapping(address guardian => uint64)) public ghostGuardianUntil;

    // ---------------------------------------------------------------- ghost counters

    uint256[ACTION_COUNT] public called;
    uint256[ACTION_COUNT] public succeeded;
    uint256 public totalCalls;
    uint256 public skipped;
    uint256 public setupSteps;
    uint256 public rejectedReuses;
    uint256 public rejectedReplays;

    constructor(IdentityRegistry registry_, uint256 attesterKey) {
        registry = registry_;
        _attesterKey = attesterKey;
        attester = vm.addr(attesterKey);
        _domainSeparator = registry_.DOMAIN_SEPARATOR();
        for (uint256 i; i < POOL_SIZE; ++i) {
            uint256 key = uint256(keccak256(abi.encode("MedChain identity pool", i)));
            _pool[i] = vm.addr(key);
            _keyOf[_pool[i]] = key;
        }
    }

    // ================================================================ entry points: organisations

    function registerOrganization(
        uint256 kindSeed,
        uint32 capabilities,
        uint256 validFor,
        uint256 accountSeed
    ) external {
        _called(REGISTER_ORGANIZATION);
        _registerOrganization(kindSeed, capabilities, validFor, accountSeed);
        _succeeded(REGISTER_ORGANIZATION);
    }

    function updateOrganization(uint256 orgSeed, uint32 capabilities, uint256 validFor) external {
        _called(UPDATE_ORGANIZATION);
        uint256 orgId = _someOrganization(orgSeed, ANY);
        uint64 validUntil = uint64(block.timestamp + _bound(validFor, 1 days, 3 * 365 days));
        registry.updateOrganization(orgId, capabilities, validUntil, keccak256(abi.encode("profile", orgId, validFor)));
        _modelValidUntil[orgId] = validUntil;
        _succeeded(UPDATE_ORGANIZATION);
    }

    function addOperator(uint256 orgSeed, uint256 accountSeed, uint256 bySeed) external {
        _called(ADD_OPERATOR);
        uint256 orgId = _organizationThatCanAct(orgSeed);
        address account = _freeAccount(accountSeed);
        // Staff are added by a fellow operator or by the organisation's registrar (this handler).
        address by = bySeed % 2 == 0 ? _operatorOf(orgId, bySeed) : address(0);
        _addOperator(orgId, account, by);
        _succeeded(ADD_OPERATOR);
    }

    function removeOperator(uint256 accountSeed, uint256 bySeed) external {
        _called(REMOVE_OPERATOR);
        address account = _someOperator(accountSeed);
        uint256 orgId = modelOrganizationOf[account];
        address by;
        if (bySeed % 3 == 0) {
            by = account; // leaves on its own
        } else if (bySeed % 3 == 1) {
            by = _operatorOf(orgId, bySeed); // a colleague (or none: the registrar)
        }
        _removeOperator(orgId, account, by);
        _succeeded(REMOVE_OPERATOR);
    }

    function suspendOrganization(uint256 orgSeed, bytes32 reasonHash) external {
        _called(SUSPEND_ORGANIZATION);
        _suspend(_someOrganization(orgSeed, ACTIVE), reasonHash);
        _succeeded(SUSPEND_ORGANIZATION);
    }

    function reinstateOrganization(uint256 orgSeed, bytes32 reasonHash) external {
        _called(REINSTATE_ORGANIZATION);
        uint256 orgId = _someOrganization(orgSeed, SUSPENDED);
        registry.reinstateOrganization(orgId, reasonHash);
        modelStatus[orgId] = IIdentityRegistry.OrgStatus.Active;
        _succeeded(REINSTATE_ORGANIZATION);
    }

    function revokeOrganization(uint256 orgSeed, bytes32 reasonHash) external {
        _called(REVOKE_ORGANIZATION);
        uint256 orgId = _someOrganization(orgSeed, NOT_REVOKED);
        registry.revokeOrganization(orgId, reasonHash);
        modelStatus[orgId] = IIdentityRegistry.OrgStatus.Revoked;
        _succeeded(REVOKE_ORGANIZATION);
    }

    // ================================================================ entry points: patients

    function registerPatient(uint256 idSeed, uint256 accountSeed) external {
        _called(REGISTER_PATIENT);
        if (_patientIds.length >= MAX_PATIENTS) {
            ++skipped;
            return;
        }
        _registerPatient(idSeed, accountSeed);
        _succeeded(REGISTER_PATIENT);
    }

    /// @notice A second registration with a used commitment, with a valid attestation for a fresh id:
    ///         the registry must refuse it with `IdentityCommitmentUsed`.
    function reuseCommitment(uint256 commitmentSeed, uint256 idSeed, uint256 accountSeed) external {
        _called(REUSE_COMMITMENT);
        if (_patientIds.length == 0) _registerPatient(idSeed, accountSeed);
        bytes32 commitment = _commitments[commitmentSeed % _commitments.length];
        address controller = _pool[accountSeed % POOL_SIZE];
        uint256 patientId = _newPatientId(idSeed);
        uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
        bytes memory signature = _sign(
            _attesterKey,
            keccak256(abi.encode(registry.PATIENT_ATTESTATION_TYPEHASH(), commitment, controller, patientId, deadline))
        );
        vm.prank(controller);
        _expectRevert(
            REUSE_COMMITMENT,
            abi.encodeCall(
                IIdentityRegistry.registerPatient,
                (patientId, commitment, controller, deadline, attester, signature)
            ),
            abi.encodeWithSelector(IIdentityRegistry.IdentityCommitmentUsed.selector, commitment)
        );
        ++rejectedReuses;
        _succeeded(REUSE_COMMITMENT);
    }

    function addController(uint256 patientSeed, uint256 accountSeed, uint256 signerSeed, bool viaSignature) external {
        _called(ADD_CONTROLLER);
        uint256 patientId = _somePatient(patientSeed);
        address account = _freeAccount(accountSeed);
        if (ghostControllerCount[patientId] == registry.MAX_CONTROLLERS()) {
            // A full list: one controller leaves first (the registry would refuse a ninth).
            address leaving = _controllerOf(patientId, accountSeed);
            _setController(patientId, leaving, false, leaving, false);
            ++setupSteps;
        }
        _setController(patientId, account, true, _controllerOf(patientId, signerSeed), viaSignature);
        _succeeded(ADD_CONTROLLER);
    }

    function removeController(
        uint256 patientSeed,
        uint256 accountSeed,
        uint256 signerSeed,
        bool viaSignature
    ) external {
        _called(REMOVE_CONTROLLER);
        uint256 patientId = _patientWithTwoControllers(patientSeed);
        if (patientId == 0) {
            patientId = _somePatient(patientSeed);
            address extra = _freeAccount(accountSeed);
            _setController(patientId, extra, true, _controllerOf(patientId, signerSeed), false);
            ++setupSteps;
        }
        // The removed controller may be the signer itself (leaving on its own).
        address account = _controllerOf(patientId, accountSeed);
        _setController(patientId, account, false, _controllerOf(patientId, signerSeed), viaSignature);
        _succeeded(REMOVE_CONTROLLER);
    }

    /// @notice A patient's only controller tries to remove itself: the registry must refuse with
    ///         `IdentityLastController` (extra controllers are removed first when there are some).
    function removeLastController(uint256 patientSeed, bool viaSignature) external {
        _called(REMOVE_LAST_CONTROLLER);
        uint256 patientId = _somePatient(patientSeed);
        while (ghostControllerCount[patientId] > 1) {
            address extra = _controllerOf(patientId, patientSeed);
            _setController(patientId, extra, false, extra, false);
            ++setupSteps;
        }
        address last = _controllerOf(patientId, patientSeed);
        bytes memory call;
        if (viaSignature) {
            uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
            bytes memory signature = _sign(
                _keyOf[last],
                keccak256(
                    abi.encode(
                        registry.SET_CONTROLLER_TYPEHASH(),
                        patientId,
                        last,
                        false,
                        ghostNonce[patientId],
                        deadline
                    )
                )
            );
            call = abi.encodeCall(
                IIdentityRegistry.setControllerWithSig,
                (patientId, last, false, last, deadline, signature)
            );
        } else {
            call = abi.encodeCall(IIdentityRegistry.setController, (patientId, last, false));
            vm.prank(last);
        }
        _expectRevert(
            REMOVE_LAST_CONTROLLER,
            call,
            abi.encodeWithSelector(IIdentityRegistry.IdentityLastController.selector, patientId)
        );
        _succeeded(REMOVE_LAST_CONTROLLER);
    }

    function rotateKey(uint256 patientSeed, uint256 signerSeed, uint256 accountSeed, bool viaSignature) external {
        _called(ROTATE_KEY);
        uint256 patientId = _somePatient(patientSeed);
        address newController = _freeAccount(accountSeed);
        address oldController = _controllerOf(patientId, signerSeed);
        if (viaSignature) {
            uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
            bytes memory signature = _sign(
                _keyOf[oldController],
                keccak256(
                    abi.encode(
                        registry.ROTATE_KEY_TYPEHASH(),
                        patientId,
                        newController,
                        ghostNonce[patientId],
                        deadline
                    )
                )
            );
            registry.rotateKeyWithSig(patientId, newController, oldController, deadline, signature);
        } else {
            vm.prank(oldController);
            registry.rotateKey(patientId, newController);
        }
        modelPatientOf[newController] = patientId;
        modelPatientOf[oldController] = 0;
        ++ghostNonce[patientId];
        _succeeded(ROTATE_KEY);
    }

    function setGuardian(
        uint256 patientSeed,
        uint256 guardianSeed,
        uint256 validFor,
        uint256 signerSeed,
        bool viaSignature
    ) external {
        _called(SET_GUARDIAN);
        uint256 patientId = _somePatient(patientSeed);
        address guardian = _nonControllerOf(patientId, guardianSeed);
        // One call in four removes the guardian (validUntil = 0), the others set a term.
        uint64 validUntil = validFor % 4 == 0 ? 0 : uint64(block.timestamp + _bound(validFor, 1 hours, 365 days));
        address signer = _controllerOf(patientId, signerSeed);
        if (viaSignature) {
            uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
            bytes memory signature = _sign(
                _keyOf[signer],
                keccak256(
                    abi.encode(
                        registry.SET_GUARDIAN_TYPEHASH(),
                        patientId,
                        guardian,
                        validUntil,
                        ghostNonce[patientId],
                        deadline
                    )
                )
            );
            registry.setGuardianWithSig(patientId, guardian, validUntil, signer, deadline, signature);
            // A relayer replaying the same signature is refused: its nonce is spent.
            _expectRevert(
                SET_GUARDIAN,
                abi.encodeCall(
                    IIdentityRegistry.setGuardianWithSig,
                    (patientId, guardian, validUntil, signer, deadline, signature)
                ),
                abi.encodeWithSelector(IIdentityRegistry.IdentityInvalidSignature.selector, signer)
            );
            ++rejectedReplays;
        } else {
            vm.prank(signer);
            registry.setGuardian(patientId, guardian, validUntil);
        }
        ghostGuardianUntil[patientId][guardian] = validUntil;
        ++ghostNonce[patientId];
        _succeeded(SET_GUARDIAN);
    }

    // ================================================================ entry points: recovery

    function proposeRecovery(uint256 patientSeed, uint256 accountSeed) external {
        _called(PROPOSE_RECOVERY);
        uint256 patientId = _patientWithoutRecovery(patientSeed);
        if (patientId == 0) {
            // No patient yet (one is registered), or every patient has one pending (its controller
            // cancels it first).
            patientId = _somePatient(patientSeed);
            if (ghostRecoveryTarget[patientId] != address(0)) {
                _cancelRecovery(patientId, _controllerOf(patientId, accountSeed), false);
                ++setupSteps;
            }
        }
        _proposeRecovery(patientId, _freeAccount(accountSeed));
        _succeeded(PROPOSE_RECOVERY);
    }

    function cancelRecovery(uint256 patientSeed, uint256 bySeed, bool viaSignature) external {
        _called(CANCEL_RECOVERY);
        uint256 patientId = _patientWithRecovery(patientSeed);
        if (patientId == 0) {
            patientId = _somePatient(patientSeed);
            _proposeRecovery(patientId, _freeAccount(bySeed));
            ++setupSteps;
        }
        // A current guardian cancels one time in three when there is one, else a controller.
        address by = bySeed % 3 == 0 ? _guardianOf(patientId, bySeed) : address(0);
        if (by == address(0)) by = _controllerOf(patientId, bySeed);
        _cancelRecovery(patientId, by, viaSignature);
        _succeeded(CANCEL_RECOVERY);
    }

    function executeRecovery(uint256 patientSeed, uint256 accountSeed, uint256 extraWait) external {
        _called(EXECUTE_RECOVERY);
        uint256 patientId = _patientWithRecovery(patientSeed);
        if (patientId == 0) {
            patientId = _somePatient(patientSeed);
            _proposeRecovery(patientId, _freeAccount(accountSeed));
            ++setupSteps;
        }
        uint256 readyAt = ghostRecoveryAt[patientId];
        if (block.timestamp < readyAt) vm.warp(readyAt + _bound(extraWait, 0, 1 days));
        address newController = ghostRecoveryTarget[patientId];
        registry.executeRecovery(patientId); // anyone may execute
        for (uint256 i; i < POOL_SIZE; ++i) {
            if (modelPatientOf[_pool[i]] == patientId) modelPatientOf[_pool[i]] = 0;
        }
        modelPatientOf[newController] = patientId;
        reservedForRecovery[newController] = false;
        ghostControllerCount[patientId] = 1;
        ghostRecoveryTarget[patientId] = address(0);
        ghostRecoveryAt[patientId] = 0;
        ++ghostNonce[patientId];
        _succeeded(EXECUTE_RECOVERY);
    }

    function passTime(uint256 seconds_) external {
        _called(PASS_TIME);
        vm.warp(block.timestamp + _bound(seconds_, 1 minutes, 10 days));
        _succeeded(PASS_TIME);
    }

    // ================================================================ views for the invariants

    function poolAccount(uint256 i) external view returns (address) {
        return _pool[i];
    }

    function patientCount() external view returns (uint256) {
        return _patientIds.length;
    }

    function patientIdAt(uint256 i) external view returns (uint256) {
        return _patientIds[i];
    }

    function commitmentCount() external view returns (uint256) {
        return _commitments.length;
    }

    function commitmentAt(uint256 i) external view returns (bytes32) {
        return _commitments[i];
    }

    // ================================================================ steps (shared by entry points and set-up)

    function _registerOrganization(
        uint256 kindSeed,
        uint32 capabilities,
        uint256 validFor,
        uint256 accountSeed
    ) internal returns (uint256 orgId) {
        address operator = _freeAccount(accountSeed);
        IIdentityRegistry.OrgKind kind = IIdentityRegistry.OrgKind(_bound(kindSeed, 1, 8));
        uint64 validUntil = uint64(block.timestamp + _bound(validFor, 1 days, 3 * 365 days));
        orgId = registry.registerOrganization(
            kind,
            capabilities,
            validUntil,
            keccak256(abi.encode("profile", kindSeed)),
            operator
        );
        _orgIds.push(orgId);
        modelStatus[orgId] = IIdentityRegistry.OrgStatus.Active;
        _modelValidUntil[orgId] = validUntil;
        // The registrar only offered: the operator accepts (its consent), and only then is it bound.
        vm.prank(operator);
        registry.acceptOperator(orgId);
        modelOrganizationOf[operator] = orgId;
    }

    /// @dev `by` = address(0): the registrar (this handler) offers; the account accepts.
    function _addOperator(uint256 orgId, address account, address by) internal {
        if (by != address(0)) vm.prank(by);
        registry.addOperator(orgId, account);
        vm.prank(account);
        registry.acceptOperator(orgId);
        modelOrganizationOf[account] = orgId;
    }

    function _removeOperator(uint256 orgId, address account, address by) internal {
        if (by != address(0)) vm.prank(by);
        registry.removeOperator(orgId, account);
        modelOrganizationOf[account] = 0;
    }

    function _suspend(uint256 orgId, bytes32 reasonHash) internal {
        registry.suspendOrganization(orgId, reasonHash);
        modelStatus[orgId] = IIdentityRegistry.OrgStatus.Suspended;
    }

    function _registerPatient(uint256 idSeed, uint256 accountSeed) internal returns (uint256 patientId) {
        address controller = _freeAccount(accountSeed);
        patientId = _newPatientId(idSeed);
        bytes32 commitment = keccak256(abi.encode("uniqueness commitment", idSeed, _commitments.length));
        uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
        bytes memory signature = _sign(
            _attesterKey,
            keccak256(abi.encode(registry.PATIENT_ATTESTATION_TYPEHASH(), commitment, controller, patientId, deadline))
        );
        vm.prank(controller);
        registry.registerPatient(patientId, commitment, controller, deadline, attester, signature);
        _patientIds.push(patientId);
        _commitments.push(commitment);
        modelPatientOf[controller] = patientId;
        ghostControllerCount[patientId] = 1;
    }

    function _setController(
        uint256 patientId,
        address account,
        bool enabled,
        address signer,
        bool viaSignature
    ) internal {
        if (viaSignature) {
            uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
            bytes memory signature = _sign(
                _keyOf[signer],
                keccak256(
                    abi.encode(
                        registry.SET_CONTROLLER_TYPEHASH(),
                        patientId,
                        account,
                        enabled,
                        ghostNonce[patientId],
                        deadline
                    )
                )
            );
            registry.setControllerWithSig(patientId, account, enabled, signer, deadline, signature);
        } else {
            vm.prank(signer);
            registry.setController(patientId, account, enabled);
        }
        if (enabled) {
            modelPatientOf[account] = patientId;
            ++ghostControllerCount[patientId];
        } else {
            modelPatientOf[account] = 0;
            --ghostControllerCount[patientId];
        }
        ++ghostNonce[patientId];
    }

    function _proposeRecovery(uint256 patientId, address newController) internal {
        registry.proposeRecovery(patientId, newController);
        reservedForRecovery[newController] = true;
        ghostRecoveryTarget[patientId] = newController;
        ghostRecoveryAt[patientId] = uint64(block.timestamp) + registry.RECOVERY_DELAY();
    }

    function _cancelRecovery(uint256 patientId, address by, bool viaSignature) internal {
        if (viaSignature) {
            uint256 deadline = block.timestamp + SIGNATURE_VALIDITY;
            bytes memory signature = _sign(
                _keyOf[by],
                keccak256(abi.encode(registry.CANCEL_RECOVERY_TYPEHASH(), patientId, ghostNonce[patientId], deadline))
            );
            registry.cancelRecoveryWithSig(patientId, by, deadline, signature);
        } else {
            vm.prank(by);
            registry.cancelRecovery(patientId);
        }
        reservedForRecovery[ghostRecoveryTarget[patientId]] = false;
        ghostRecoveryTarget[patientId] = address(0);
        ghostRecoveryAt[patientId] = 0;
        ++ghostNonce[patientId];
    }

    // ================================================================ choosing participants

    /// @dev A pool account bound to nothing and not reserved for a recovery. When there is none, one is
    ///      freed: an operator removed by the registrar, else a second controller removed, else a
    ///      pending recovery cancelled (with MAX_PATIENTS < POOL_SIZE / 2 one of them always exists).
    function _freeAccount(uint256 seed) internal returns (address) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (_isFree(account)) return account;
        }
        ++setupSteps;
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            uint256 orgId = modelOrganizationOf[account];
            if (orgId != 0) {
                _removeOperator(orgId, account, address(0));
                return account;
            }
        }
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            uint256 patientId = modelPatientOf[account];
            if (patientId != 0 && ghostControllerCount[patientId] >= 2) {
                _setController(patientId, account, false, account, false);
                return account;
            }
        }
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (reservedForRecovery[account]) {
                uint256 patientId = _patientRecoveringTo(account);
                _cancelRecovery(patientId, _controllerOf(patientId, seed), false);
                return account;
            }
        }
        revert HandlerPoolExhausted();
    }

    function _isFree(address account) internal view returns (bool) {
        return modelOrganizationOf[account] == 0 && modelPatientOf[account] == 0 && !reservedForRecovery[account];
    }

    /// @dev An organisation in the wanted state; one is registered (and suspended) when none is.
    function _someOrganization(uint256 seed, uint8 wanted) internal returns (uint256) {
        uint256 count = _orgIds.length;
        for (uint256 i; i < count; ++i) {
            uint256 orgId = _orgIds[_rotate(seed, i, count)];
            IIdentityRegistry.OrgStatus status = modelStatus[orgId];
            if (
                wanted == ANY ||
                (wanted == ACTIVE && status == IIdentityRegistry.OrgStatus.Active) ||
                (wanted == SUSPENDED && status == IIdentityRegistry.OrgStatus.Suspended) ||
                (wanted == NOT_REVOKED && status != IIdentityRegistry.OrgStatus.Revoked)
            ) return orgId;
        }
        if (wanted == SUSPENDED) {
            uint256 active = _someOrganization(seed, ACTIVE);
            _suspend(active, keccak256(abi.encode("set-up suspension", seed)));
            ++setupSteps;
            return active;
        }
        ++setupSteps;
        return _registerOrganization(seed, uint32(seed), seed >> 32, seed >> 64);
    }

    /// @dev An organisation that can add staff now (Active, licence running); one is registered when none is.
    function _organizationThatCanAct(uint256 seed) internal returns (uint256) {
        uint256 count = _orgIds.length;
        for (uint256 i; i < count; ++i) {
            uint256 orgId = _orgIds[_rotate(seed, i, count)];
            if (modelStatus[orgId] == IIdentityRegistry.OrgStatus.Active && _modelValidUntil[orgId] > block.timestamp) {
                return orgId;
            }
        }
        ++setupSteps;
        return _registerOrganization(seed, uint32(seed), seed >> 32, seed >> 64);
    }

    /// @dev An operator in the pool; an organisation (with its first operator) is registered when none is.
    function _someOperator(uint256 seed) internal returns (address) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (modelOrganizationOf[account] != 0) return account;
        }
        ++setupSteps;
        uint256 orgId = _registerOrganization(seed, uint32(seed), seed >> 32, seed >> 64);
        return _operatorOf(orgId, seed);
    }

    /// @dev An operator of `orgId` in the pool, or address(0) when it has none.
    function _operatorOf(uint256 orgId, uint256 seed) internal view returns (address) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (modelOrganizationOf[account] == orgId) return account;
        }
        return address(0);
    }

    /// @dev A registered patient; one is registered when none is.
    function _somePatient(uint256 seed) internal returns (uint256) {
        if (_patientIds.length == 0) {
            ++setupSteps;
            return _registerPatient(seed, seed >> 128);
        }
        return _patientIds[seed % _patientIds.length];
    }

    function _patientWithTwoControllers(uint256 seed) internal view returns (uint256) {
        uint256 count = _patientIds.length;
        for (uint256 i; i < count; ++i) {
            uint256 patientId = _patientIds[_rotate(seed, i, count)];
            if (ghostControllerCount[patientId] >= 2) return patientId;
        }
        return 0;
    }

    function _patientWithRecovery(uint256 seed) internal view returns (uint256) {
        uint256 count = _patientIds.length;
        for (uint256 i; i < count; ++i) {
            uint256 patientId = _patientIds[_rotate(seed, i, count)];
            if (ghostRecoveryTarget[patientId] != address(0)) return patientId;
        }
        return 0;
    }

    function _patientWithoutRecovery(uint256 seed) internal view returns (uint256) {
        uint256 count = _patientIds.length;
        for (uint256 i; i < count; ++i) {
            uint256 patientId = _patientIds[_rotate(seed, i, count)];
            if (ghostRecoveryTarget[patientId] == address(0)) return patientId;
        }
        return 0;
    }

    function _patientRecoveringTo(address account) internal view returns (uint256) {
        uint256 count = _patientIds.length;
        for (uint256 i; i < count; ++i) {
            if (ghostRecoveryTarget[_patientIds[i]] == account) return _patientIds[i];
        }
        return 0;
    }

    /// @dev A controller of `patientId` (every controller is a pool account).
    function _controllerOf(uint256 patientId, uint256 seed) internal view returns (address) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (modelPatientOf[account] == patientId) return account;
        }
        revert HandlerPoolExhausted(); // unreachable: a patient always keeps a controller
    }

    /// @dev A pool account that does not control `patientId` (a guardian candidate).
    function _nonControllerOf(uint256 patientId, uint256 seed) internal view returns (address) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (modelPatientOf[account] != patientId) return account;
        }
        return address(uint160(uint256(keccak256(abi.encode("outside guardian", seed)))));
    }

    /// @dev A pool account whose guardianship of `patientId` is running, or address(0).
    function _guardianOf(uint256 patientId, uint256 seed) internal view returns (address) {
        for (uint256 i; i < POOL_SIZE; ++i) {
            address account = _pool[_rotate(seed, i, POOL_SIZE)];
            if (ghostGuardianUntil[patientId][account] > block.timestamp && modelPatientOf[account] != patientId) {
                return account;
            }
        }
        return address(0);
    }

    function _newPatientId(uint256 seed) internal view returns (uint256 patientId) {
        patientId = uint256(keccak256(abi.encode("patient", seed, _patientIds.length, block.timestamp))) | 1;
    }

    // ================================================================ helpers

    function _sign(uint256 key, bytes32 structHash) internal view returns (bytes memory) {
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", _domainSeparator, structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev Calls the registry (pranked by the caller when it must be) and requires it to revert with
    ///         exactly `expected`; anything else makes the handler revert, which fails the campaign.
    function _expectRevert(uint256 action, bytes memory call, bytes memory expected) internal {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = address(registry).call(call);
        if (ok) revert HandlerUnexpectedSuccess(action);
        if (keccak256(reason) != keccak256(expected)) revert HandlerUnexpectedRevert(action, reason);
    }

    /// @dev The i-th of `count` items counted from `seed` (wraps around; no overflow for any seed).
    function _rotate(uint256 seed, uint256 i, uint256 count) internal pure returns (uint256) {
        return ((seed % count) + i) % count;
    }

    function _bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }

    function _called(uint256 action) internal {
        ++totalCalls;
        ++called[action];
    }

    function _succeeded(uint256 action) internal {
        ++succeeded[action];
    }
}
