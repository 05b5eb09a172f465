// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {TestUSDT} from "./TestUSDT.sol";

/// @title A look-alike of TestUSDT at another address, for negative tests.
/// @notice Same name, symbol and decimals as the real token and a working ERC20, plus emitTransfer(), which
/// anyone can call to emit a Transfer(from, to, value) log that moves nothing. A deposit scanner must only
/// credit logs whose address is the configured token contract.
contract FakeToken is TestUSDT {
    constructor(string memory name_, string memory symbol_, uint8 decimals_) TestUSDT(name_, symbol_, decimals_) {}

    function emitTransfer(address from, address to, uint256 value) external {
        emit Transfer(from, to, value);
    }
}
