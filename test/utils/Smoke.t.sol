// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "./Test.sol";

contract SmokeTest is Test {
    function test_warp() public {
        vm.warp(1000);
        assertEq(block.timestamp, 1000, "warp");
    }
    function testFuzz_bound(uint256 x) public pure {
        uint256 y = bound(x, 5, 10);
        assertGe(y, 5, "lo");
        assertLe(y, 10, "hi");
    }
}
