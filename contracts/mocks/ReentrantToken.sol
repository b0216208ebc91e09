// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only token that, on each transfer, calls back `hookTarget` with `hookPayload` (an attack on the
///         escrow), records whether the call-back succeeded and what it returned, and completes the transfer.
contract ReentrantToken is ERC20 {
    address public hookTarget;
    bytes public hookPayload;
    bool public attempted;
    bool public lastSucceeded;
    bytes public lastReturn;
    bool private _inHook;

    constructor() ERC20("Reentrant Token", "REENT") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function arm(address target_, bytes calldata payload_) external {
        hookTarget = target_;
        hookPayload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (hookTarget != address(0) && !_inHook && from != address(0)) {
            _inHook = true;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory ret) = hookTarget.call(hookPayload);
            attempted = true;
            lastSucceeded = ok;
            lastReturn = ret;
            _inHook = false;
        }
        super._update(from, to, value);
    }
}
