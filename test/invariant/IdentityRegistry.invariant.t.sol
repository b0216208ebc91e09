// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../utils/Test.sol";
import {MedChainAccessManager} from "../../contracts/governance/MedChainAccessManager.sol";
import {Roles} from "../../contracts/governance/Roles.sol";
import {IdentityRegistry} from "../../contracts/identity/IdentityRegistry.sol";
import {IIdentityRegistry} from "../../contracts/interfaces/IIdentityRegistry.sol";
import {IdentityHandler} from "./handlers/IdentityHandler.sol";
import {OperatorOfferHandler} from "./handlers/OperatorOfferHandler.sol";

/// @notice Invariants of the IdentityRegistry under random sequences of realistic actions driven by
///         `IdentityHandler` (the only target). Each `invariant_*` is its own campaign; the runner
///         checks it after every handler call and calls `afterInvariant` once at the end of each run.
///         Every campaign runs with failOnRevert: a handler call that reverts is a failure, so the
///         handler's bounded inputs are themselves under test.
contract IdentityRegistryInvariantTest is Test {
    MedChainAccessManager internal manager;
    IdentityRegistry internal registry;
    IdentityHandler internal handler;
    OperatorOfferHandler internal offerHandler;

    function setUp() public {
        vm.warp(1_767_225_600);
        manager = new MedChainAccessManager(address(this));
        registry = new IdentityRegistry(address(manager));
        bytes4[] memory registrarFunctions = new bytes4[](2);
        registrarFunctions[0] = IdentityRegistry.registerOrganization.selector;
        registrarFunctions[1] = IdentityRegistry.proposeRecovery.selector;
        manager.setTargetFunctionRole(address(registry), registrarFunctions, Roles.REGISTRAR);
        bytes4[] memory pauserFunctions = new bytes4[](1);
        pauserFunctions[0] = IdentityRegistry.pause.selector;
        manager.setTargetFunctionRole(address(registry), pauserFunctions, Roles.PAUSER);

        (, uint256 attesterKey) = makeAddrAndKey("patient attester");
        handler = new IdentityHandler(registry, attesterKey);
        // The handler is a registrar of every kind and a regulator; its attester key is a registrar too.
        manager.grantRole(Roles.REGISTRAR, address(handler), 0);
        manager.grantRole(Roles.REGULATOR, address(handler), 0);
        manager.grantRole(Roles.REGISTRAR, handler.attester(), 0);
        registry.setRegistrarKinds(address(handler), 0x1fe);

        offerHandler = new OperatorOfferHandler(registry);
        manager.grantRole(Roles.REGISTRAR, address(offerHandler), 0);
        manager.grantRole(Roles.REGULATOR, address(offerHandler), 0);
        registry.setRegistrarKinds(address(offerHandler), 0x1fe);
        offerHandler.init();

        targetContract(address(handler));
        targetContract(address(offerHandler));
    }

    // ---------------------------------------------------------------- invariants

    /// @notice An offer binds nothing: however often the rogue operator offered its accounts a place,
    ///         none of them operates for anything (they never accepted), and no offer was made while the
    ///         organisation was suspended or expired (the handler checks each refusal's error).
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_offersBindNothing() public view {
        uint256 poolSize = offerHandler.POOL_SIZE();
        for (uint256 i; i < poolSize; ++i) {
            address account = offerHandler.poolAccount(i);
            assertEq(registry.organizationOf(account), 0, "an offered account never accepted: unbound");
            assertEq(registry.patientOf(account), 0, "and no patient's either");
        }
        assertEq(registry.organizationOf(offerHandler.rogue()), offerHandler.rogueOrg(), "the rogue accepted its own");
    }

    /// hardhat-config: invariant.failOnRevert = true
    function invariant_accountBelongsToAtMostOneIdentity() public view {
        uint256 poolSize = handler.POOL_SIZE();
        for (uint256 i; i < poolSize; ++i) {
            address account = handler.poolAccount(i);
            uint256 orgId = registry.organizationOf(account);
            uint256 patientId = registry.patientOf(account);
            assertFalse(orgId != 0 && patientId != 0, "an operator and a patient controller at once");
            if (patientId != 0) assertTrue(registry.isController(account, patientId), "patientOf is a controller");
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    function invariant_controllerCountMatches() public view {
        uint256 poolSize = handler.POOL_SIZE();
        uint256 patients = handler.patientCount();
        for (uint256 p; p < patients; ++p) {
            uint256 patientId = handler.patientIdAt(p);
            uint256 controllers;
            for (uint256 i; i < poolSize; ++i) {
                if (registry.isController(handler.poolAccount(i), patientId)) ++controllers;
            }
            assertEq(controllers, handler.ghostControllerCount(patientId), "controllers of a patient");
            assertGe(controllers, 1, "a patient keeps a controller");
            assertLe(controllers, registry.MAX_CONTROLLERS(), "at most MAX_CONTROLLERS");
        }
    }

    /// hardhat-config: invariant.failOnRevert = true
    function invariant_commitmentsUsedOnce() public view {
        uint256 patients = handler.patientCount();
        uint256 commitments = handler.commitmentCount();
        assertEq(patients, commitments, "one commitment per registered patient");
        for (uint256 i; i < commitments; ++i) {
            bytes32 commitment = handler.commitmentAt(i);
            assertTrue(registry.isCommitmentUsed(commitment), "commitment marked used");
            assertTrue(registry.isPatient(handler.patientIdAt(i)), "patient exists");
            for (uint256 j; j < i; ++j) {
                assertNotEq(handler.commitmentAt(j), commitment, "distinct commitments");
            }
        }
    }

    /// @notice The registry agrees with the handler's model: who operates or controls what, the status
    ///         of their organisations, each patient's nonce (every patient action consumed one) and
    ///         pending recovery.
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_registryMatchesModel() public view {
        uint256 poolSize = handler.POOL_SIZE();
        for (uint256 i; i < poolSize; ++i) {
            address account = handler.poolAccount(i);
            uint256 orgId = handler.modelOrganizationOf(account);
            assertEq(registry.organizationOf(account), orgId, "organizationOf");
            assertEq(registry.patientOf(account), handler.modelPatientOf(account), "patientOf");
            if (orgId != 0) {
                assertEq(
                    uint256(registry.getOrganization(orgId).status),
                    uint256(handler.modelStatus(orgId)),
                    "organisation status"
                );
            }
        }
        uint256 patients = handler.patientCount();
        for (uint256 p; p < patients; ++p) {
            uint256 patientId = handler.patientIdAt(p);
            assertEq(registry.nonces(patientId), handler.ghostNonce(patientId), "nonce");
            IIdentityRegistry.Recovery memory recovery = registry.pendingRecovery(patientId);
            assertEq(recovery.newController, handler.ghostRecoveryTarget(patientId), "recovery target");
            assertEq(recovery.executableAt, handler.ghostRecoveryAt(patientId), "recovery time");
        }
    }

    /// @notice Checked after every call: each action the fuzzer has called in this run has succeeded at
    ///         least once, and every call is accounted for (its own action succeeded, or it was the one
    ///         allowed skip: registerPatient with MAX_PATIENTS patients).
    /// hardhat-config: invariant.failOnRevert = true
    function invariant_handlerActionsRan() public view {
        _assertEveryCalledActionSucceeded();
    }

    /// @notice Once at the end of each run (of every campaign): the same accounting, and the run did real
    ///         work. Ghost counters restart with every run (each run starts from the `setUp` state), so
    ///         "every action ran" is asserted per run for the actions the fuzzer picked: a run of 50
    ///         calls over 18 actions misses one or two of them, a campaign of 32 (CI: 256) runs none.
    function afterInvariant() public view {
        uint256 totalSucceeded = _assertEveryCalledActionSucceeded();
        if (handler.totalCalls() > 0) assertGt(totalSucceeded, 0, "a run did real work");
    }

    function _assertEveryCalledActionSucceeded() internal view returns (uint256 totalSucceeded) {
        uint256 totalCalled;
        uint256 actions = handler.ACTION_COUNT();
        for (uint256 a; a < actions; ++a) {
            uint256 calls = handler.called(a);
            uint256 successes = handler.succeeded(a);
            if (calls > 0) assertGt(successes, 0, "an action the fuzzer called never succeeded");
            totalCalled += calls;
            totalSucceeded += successes;
        }
        assertEq(totalCalled, totalSucceeded + handler.skipped(), "every handler call is accounted for");
    }
}
