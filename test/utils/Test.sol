// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Vm} from "./Vm.sol";

/// @title Test
/// @notice MedChain's small Solidity test base: the cheatcodes (`vm`), assertions that revert with
///         the values that differ, bounded fuzz inputs, and the invariant-target registry the runner
///         reads. Every `*.t.sol` inherits it.
abstract contract Test {
    /// @dev keccak256("hevm cheat code") truncated: the address every Foundry-compatible runner serves.
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    /// @dev Read by the runner: a test contract with `IS_TEST` and `test*` functions is a test suite.
    bool public IS_TEST = true;

    address[] private _targetContracts;
    bytes4[] private _noSelectors;

    error AssertionFailed(string what);
    error AssertionFailedUint(string what, uint256 left, uint256 right);
    error AssertionFailedInt(string what, int256 left, int256 right);
    error AssertionFailedAddress(string what, address left, address right);
    error AssertionFailedBytes32(string what, bytes32 left, bytes32 right);
    error AssertionFailedBool(string what, bool left, bool right);

    // ---------------------------------------------------------------- invariant targets

    /// @notice Contracts the invariant fuzzer calls (read by the runner).
    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    // ---------------------------------------------------------------- assertions

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailed(what);
    }

    function assertFalse(bool condition, string memory what) internal pure {
        if (condition) revert AssertionFailed(what);
    }

    function assertEq(uint256 left, uint256 right, string memory what) internal pure {
        if (left != right) revert AssertionFailedUint(what, left, right);
    }

    function assertEq(int256 left, int256 right, string memory what) internal pure {
        if (left != right) revert AssertionFailedInt(what, left, right);
    }

    function assertEq(address left, address right, string memory what) internal pure {
        if (left != right) revert AssertionFailedAddress(what, left, right);
    }

    function assertEq(bytes32 left, bytes32 right, string memory what) internal pure {
        if (left != right) revert AssertionFailedBytes32(what, left, right);
    }

    function assertEq(bool left, bool right, string memory what) internal pure {
        if (left != right) revert AssertionFailedBool(what, left, right);
    }

    function assertEq(bytes memory left, bytes memory right, string memory what) internal pure {
        if (keccak256(left) != keccak256(right)) revert AssertionFailed(what);
    }

    function assertNotEq(uint256 left, uint256 right, string memory what) internal pure {
        if (left == right) revert AssertionFailedUint(what, left, right);
    }

    function assertNotEq(bytes32 left, bytes32 right, string memory what) internal pure {
        if (left == right) revert AssertionFailedBytes32(what, left, right);
    }

    function assertGe(uint256 left, uint256 right, string memory what) internal pure {
        if (left < right) revert AssertionFailedUint(what, left, right);
    }

    function assertLe(uint256 left, uint256 right, string memory what) internal pure {
        if (left > right) revert AssertionFailedUint(what, left, right);
    }

    function assertGt(uint256 left, uint256 right, string memory what) internal pure {
        if (left <= right) revert AssertionFailedUint(what, left, right);
    }

    // ---------------------------------------------------------------- fuzz helpers

    /// @notice Maps any `x` into [min, max] without rejecting runs (uniform enough for fuzzing).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert AssertionFailedUint("bound: min > max", min, max);
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    /// @notice A deterministic, labelled test account.
    function makeAddr(string memory name) internal returns (address account) {
        account = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(account, name);
    }

    /// @notice A deterministic key and its address.
    function makeAddrAndKey(string memory name) internal returns (address account, uint256 key) {
        key = uint256(keccak256(bytes(name)));
        account = vm.addr(key);
        vm.label(account, name);
    }
}
